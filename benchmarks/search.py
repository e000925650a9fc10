"""How fast search is, on a generated folder of posts with a varied vocabulary.

Usage: .venv/bin/python benchmarks/search.py [--posts 10000]   (or: make bench-search)

Prints, against the targets:
- reading the posts (front matter, as the site does on start) and building
  the search index from scratch: the index must take <= 30% of the reading;
- updating the index after one edit, one new post and one deletion;
- /search requests through the app (query parsing, ranking, snippets and the
  page), over a mix of queries: median <= 5 ms, p99 <= 20 ms.
"""
import argparse
import datetime as dt
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from website import create_app  # noqa: E402
from website.content import search_query  # noqa: E402
from website.content.collection import PostCollection  # noqa: E402
from website.content.search_index import SearchIndex  # noqa: E402
from website.content.search_text import plain_text  # noqa: E402

TOPICS = ["apache", "flask", "python", "deploy", "markdown", "sqlite", "search", "git",
          "server", "cache", "feeds", "linux", "backup", "testing", "security", "design"]
COMMON = ("the a of to and in is it that for on with as this was be by are not or at "
          "from but have an they which one you were all we can there been if more when "
          "will would who so no out up into do time only about other some could").split()
# Searches of every kind: topic words, made-up words from frequent to rare,
# a prefix, a phrase from a post, several words, the commonest word, syntax
# taken as text, and misses. {frequent}... are filled from the vocabulary.
QUERIES = ["apache", "deploying", "sqlite search", "python*", "{frequent}", "{middle}",
           "{rare}", "{prefix}*", '"{phrase}"', "{frequent} {middle}", "flask apache deploy",
           "the", "AND OR NOT", '"unclosed phrase', "zyxwvut", "xq*"]


def vocabulary(rng, size=6000):
    """Made-up words with English-looking endings, so stemming has work to do."""
    letters = "bcdfghjklmnprstvwz"
    vowels = "aeiou"
    words = set()
    while len(words) < size:
        stem = "".join(rng.choice(letters) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))
        words.add(stem + rng.choice(["", "", "s", "ing", "ed", "er", "ation", "ly"]))
    return sorted(words)


def post_text(n, rng, words, header):
    topic, other = rng.sample(TOPICS, 2)
    def sentence():
        picked = [rng.choice(COMMON) if rng.random() < 0.45 else
                  words[min(len(words) - 1, int(rng.paretovariate(1.1)) - 1)]
                  if rng.random() < 0.5 else rng.choice(words) for _ in range(rng.randint(8, 20))]
        if rng.random() < 0.3:
            picked.insert(rng.randrange(len(picked)), rng.choice([topic, other]))
        return " ".join(picked).capitalize() + "."
    paragraphs = [" ".join(sentence() for _ in range(rng.randint(3, 7))) for _ in range(8)]
    body = (f"{paragraphs[0]} See [the previous post](/blog/post-{max(0, n - 1)}) and "
            f"**{topic}** notes.[^1]\n\n## About {other}\n\n{paragraphs[1]}\n\n"
            f"```python\ndef {topic}_{n}(request):\n    return {{'post': {n}}}\n```\n\n"
            + "\n\n".join(paragraphs[2:6])
            + f"\n\n| Column | Value |\n|--------|-------|\n| {topic} | {n} |\n\n"
            + "\n\n".join(paragraphs[6:]) + f"\n\n[^1]: A footnote about {other}.\n")
    title = f"{topic.capitalize()} and {other}: notes {n}"
    date = dt.datetime(2015, 1, 1) + dt.timedelta(hours=7 * n)
    if header == "yaml":    # what new-post writes
        return (f'---\ntitle: "{title}"\ndate: {date:%Y-%m-%d %H:%M}\n'
                f"tags: [{topic}, {other}]\n---\n\n{body}")
    return f"title: {title}\ndate: {date:%Y-%m-%d %H:%M}\ntags: {topic}, {other}\n\n{body}"


def write_posts(folder, count, header="yaml"):
    """Write the posts; return the queries to time on them."""
    rng = random.Random(15)
    words = vocabulary(rng)
    for n in range(count):
        (folder / f"post-{n}.md").write_text(post_text(n, rng, words, header))
    body = (folder / "post-10.md").read_text().split("\n\n", 2)[2]
    phrase = " ".join(re.findall(r"[a-z]+", body.lower())[20:22])
    values = {"frequent": words[0], "middle": words[40], "rare": words[3000],
              "prefix": words[40][:3], "phrase": phrase}
    return [query.format(**values) for query in QUERIES]


def timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def median_of(func, repeat):
    return statistics.median(timed(func)[0] for _ in range(repeat))


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def row(label, seconds, target=""):
    print(f"{label:<58} {seconds * 1000:9.2f} ms  {target}")


def verdict(value, limit):
    return f"(target <= {limit * 1000:g} ms: {'ok' if value <= limit else 'MISSED'})"


def bench_build(folder, bare_folder):
    def read(where):
        collection = PostCollection(where, check_interval=0)
        collection.all()
        return collection
    readings = {}
    for label, where in (("YAML front matter, as new-post writes", folder),
                         ("bare key: value headers", bare_folder)):
        read(where)  # warm the file cache: the timings below read from memory
        readings[label] = median_of(lambda: read(where), 3)
        row(f"reading the posts ({label}), median of 3", readings[label])
    snapshot = read(folder)._current
    plain = median_of(lambda: [plain_text(post.body) for post in snapshot.posts], 3)
    building = median_of(lambda: SearchIndex().update(snapshot), 3)
    row("  of which: bodies reduced to plain text, median of 3", plain)
    row("building the search index from scratch, median of 3", building)
    index = SearchIndex()
    index.update(snapshot)
    text_size = sum(len(post.body.encode()) for post in snapshot.posts)
    print(f"  index size in memory: {index.size_bytes() / 2**20:.1f} MiB "
          f"(for {text_size / 2**20:.1f} MiB of Markdown bodies)")
    for label, reading in readings.items():
        share = building / reading
        print(f"  index build / reading ({label}): {share:.0%} "
              f"(target <= 30%: {'ok' if share <= 0.30 else 'MISSED'})")


def bench_updates(folder):
    collection = PostCollection(folder, check_interval=0)
    index = SearchIndex()
    spent = []

    def update(snapshot):
        seconds, counts = timed(lambda: index.update(snapshot))
        spent.append((seconds, counts))
    collection.on_change(update)
    collection.all()
    path = folder / "post-10.md"
    changes = {
        "one post edited": lambda: path.write_text(path.read_text() + "\nAn added line.\n"),
        "one post added": lambda: (folder / "new-post.md").write_text(
            "title: A new post\ndate: 2030-01-01\n\nFresh words.\n"),
        "one post deleted": lambda: (folder / "new-post.md").unlink(),
    }
    for label, change in changes.items():
        change()
        total, _ = timed(lambda: collection.refresh(force=True))
        seconds, counts = spent[-1]
        row(f"{label}: index update ({counts[0]} in, {counts[1]} out)", seconds)
        row(f"{label}: whole refresh (scan, read, index)", total)


def bench_queries(folder, queries, rounds):
    app = create_app({"POSTS_DIR": str(folder)})
    client = app.test_client()
    client.get("/")      # the first read of the folder builds the index
    index = app.extensions["search"]
    now = dt.datetime.now(dt.timezone.utc)
    requests, inside = [], []
    counts = {}
    for _ in range(rounds):
        for text in queries:
            url = "/search?q=" + quote(text)
            seconds, response = timed(lambda: client.get(url))
            assert response.status_code == 200, (url, response.status_code)
            requests.append(seconds)
            query = search_query.parse(text)
            seconds, results = timed(lambda: index.search(query, now))
            inside.append(seconds)
            counts[text] = results.total
    print(f"queries (posts found): " + ", ".join(f"{q} ({n})" for q, n in counts.items()))
    row(f"/search request, median of {len(requests)}", statistics.median(requests),
        verdict(statistics.median(requests), 0.005))
    row("/search request, p99", percentile(requests, 0.99), verdict(percentile(requests, 0.99), 0.020))
    row("index query alone (rank, page of snippets), median", statistics.median(inside))
    row("index query alone, p99", percentile(inside, 0.99))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20, help="times each query is run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, bare_folder = Path(tmp) / "yaml", Path(tmp) / "bare"
        folder.mkdir()
        bare_folder.mkdir()
        queries = write_posts(folder, args.posts)
        write_posts(bare_folder, args.posts, header="bare")
        print(f"Search on {args.posts} generated posts "
              f"({sum(p.stat().st_size for p in folder.iterdir()) / 2**20:.1f} MiB of Markdown)")
        bench_build(folder, bare_folder)
        bench_updates(folder)
        bench_queries(folder, queries, args.rounds)


if __name__ == "__main__":
    main()
