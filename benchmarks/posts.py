"""How fast the blog starts, serves and notices changes, on a generated posts folder.

Usage: .venv/bin/python benchmarks/posts.py [--posts 1000]   (or: make bench)

Prints, for N generated posts of realistic size (code, a table, footnotes):
startup (front matter only), first view of a post (renders Markdown),
repeat views (cached HTML), the /blog page, and the mtime check that keeps
posts fresh.
"""
import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from website import create_app  # noqa: E402

BODY = """Some opening words for post {n}, with a [link](/blog/post-{m}) and a footnote.[^1]

## A section

```python
def handler_{n}(request):
    return {{"post": {n}, "ok": True}}
```

| Column | Value |
|--------|-------|
| n      | {n}   |

""" + "More prose to read through, sentence after sentence. " * 60 + """

[^1]: A footnote for post {n}.
"""


def post_specs(count):
    """``[(slug, title, date, tags, body)]`` for ``count`` generated posts."""
    start = dt.datetime(2020, 1, 1)
    return [(f"post-{n}", f"Post number {n}", start + dt.timedelta(minutes=n),
             [f"tag{n % 7}", "common"], BODY.format(n=n, m=(n + 1) % count))
            for n in range(count)]


def write_posts(folder, count):
    """The generated posts as this blog's files (bare ``key: value`` headers)."""
    for slug, title, date, tags, body in post_specs(count):
        (folder / f"{slug}.md").write_text(
            f"title: {title}\ndate: {date:%Y-%m-%dT%H:%M:%S}\n"
            f"tags: {', '.join(tags)}\n\n{body}")


def write_yaml_posts(folder, count):
    """The same posts with YAML front matter, as ``flask new-post`` writes them."""
    for slug, title, date, tags, body in post_specs(count):
        (folder / f"{slug}.md").write_text(
            f"---\ntitle: {json.dumps(title)}\ndate: {date:%Y-%m-%dT%H:%M:%S}\n"
            f"tags: [{', '.join(json.dumps(tag) for tag in tags)}]\n---\n\n{body}")


def timed(func, repeat=1):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_posts(folder, args.posts)
        holder = {}
        def start():
            # The app reads the folder on first use; count that read as startup.
            holder["app"] = create_app({"POSTS_DIR": str(folder)})
            holder["app"].extensions["posts"].all()
        startup = timed(start)
        app = holder["app"]
        client = app.test_client()
        collection = app.extensions["posts"]
        first = timed(lambda: client.get("/blog/post-1"))
        cached = timed(lambda: client.get("/blog/post-1"), repeat=50)
        index = timed(lambda: client.get("/blog"), repeat=20)
        check = timed(lambda: collection.refresh(force=True), repeat=20)
    rows = [
        (f"startup, {args.posts} posts (front matter only)", startup),
        ("first view of a post (renders Markdown)", first),
        ("repeat view of a post (cached HTML), median", cached),
        ("/blog page, median", index),
        ("freshness check of the folder (mtimes), median", check),
    ]
    for label, seconds in rows:
        print(f"{label:<52} {seconds * 1000:9.2f} ms")


if __name__ == "__main__":
    main()
