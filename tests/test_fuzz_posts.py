"""Hostile post files: the site keeps serving, fast, and check names every bad file.

The folder is generated here: binary junk, invalid UTF-8, NUL bytes, YAML alias
bombs, 200,000-character lines, lists and quotes nested hundreds deep,
unclosed fences, markup Python-Markdown takes quadratic time on, every header
field with a wrong type, huge headers and files, CR and CRLF line ends, a
folder and a symlink loop named like posts. Every page answers 200, or 404
where nothing is (the address of a post that isn't published), or the 500
page in the layout for a post whose body can't be rendered; no request takes
more than 2 seconds of work. ``check`` exits 1 and names each bad file.
"""
import os
import random
import time
from urllib.parse import quote

import pytest
from lxml import etree

HEADER = "title: Hostile {name}\ndate: 2024-02-03\ntags: fuzz, {name}\n\n"
MAX_SECONDS = 2.0
WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua").split()


def _junk_text(rng, size, alphabet):
    return "".join(rng.choice(alphabet) for _ in range(size))


def _nested(prefix_for, depth, text="item"):
    return "\n".join(prefix_for(level) + text for level in range(depth)) + "\n"


def _alias_bomb():
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        name, previous = chr(97 + level), chr(96 + level)
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "---\n" + "\n".join(levels) + "\ntitle: *j\ndate: 2024-01-01\n---\nBody.\n"


def _merge_bomb():
    lines = ["a0: &a0 {k1: 1, k2: 2, k3: 3}"]
    lines += [f"a{n}: &a{n} {{<<: [*a{n - 1}, *a{n - 1}, *a{n - 1}]}}" for n in range(1, 12)]
    return "---\n" + "\n".join(lines) + "\ntitle: merge\ndate: 2024-01-01\n---\nBody.\n"


WRONG_TYPES = {
    "title-list": "title: [a, b]", "title-map": "title: {a: 1}", "title-null": "title: ~",
    "date-list": "date: [2024, 1, 1]", "date-bool": "date: true", "date-number": "date: 12",
    "date-text": "date: next tuesday", "tags-map": "tags: {a: b}", "tags-number": "tags: 12",
    "tags-nested": "tags: [[a, b], c]", "draft-text": "draft: maybe", "draft-list": "draft: [x]",
    "slug-list": "slug: [x]", "slug-path": "slug: ../../etc/passwd", "slug-space": "slug: a b",
    "series-part-negative": "series_part: -1", "series-part-text": "series_part: two",
    "summary-map": "summary: {a: 1}", "updated-text": "updated: soon",
    "description-list": "description: [a]", "author-map": "author: {name: x}",
    "image-list": "image: [a.png]", "series-map": "series: {a: 1}",
}


def hostile_files(rng):
    """``{file name: bytes}`` and the set of names that are bad posts."""
    files, bad = {}, set()

    def add(name, text, is_bad=True, header=True):
        data = text if isinstance(text, bytes) else (
            (HEADER.format(name=name.removesuffix(".md")) if header else "") + text
        ).encode("utf-8", "surrogatepass")
        files[name] = data
        if is_bad:
            bad.add(name)

    add("binary-junk.md", bytes(rng.getrandbits(8) for _ in range(20_000)))
    add("invalid-utf8.md", HEADER.format(name="x").encode() + b"caf\xe9 \xff\xfe\n")
    add("nul-in-header.md", b"title: a\x00b\ndate: 2024-01-01\n\nBody.\n", is_bad=False)
    add("nul-in-body.md", "Text \x00 with NUL \x00 bytes.\n" * 100, is_bad=False)
    add("alias-bomb.md", _alias_bomb(), header=False)
    add("merge-key-bomb.md", _merge_bomb(), header=False)
    add("long-line-words.md", " ".join(rng.choice(WORDS) for _ in range(34_000))[:200_000] + "\n",
        is_bad=False)
    add("long-line-brackets.md", "[" * 200_000 + "\n")
    add("long-line-markup.md", _junk_text(rng, 200_000, "[]()`*_<>~!#&\\ab ") + "\n")
    add("long-title.md", "---\ntitle: " + "t" * 200_000 + "\ndate: 2024-01-01\n---\nBody.\n",
        is_bad=False, header=False)
    add("backtick-runs.md", "`a" * 5_000 + "\n")
    add("emphasis-runs.md", "*a " * 3_000 + "b" + " *" * 3_000 + "\n")
    add("deep-list.md", _nested(lambda level: "  " * level + "- ", 400))
    add("deep-ordered-list.md", _nested(lambda level: "   " * level + "1. ", 400))
    add("deep-quote.md", ">" * 1_000 + " deep\n")
    add("deep-quote-lines.md", _nested(lambda level: "> " * level, 300))
    add("deep-mixed.md", _nested(lambda level: "> - " * level, 200))
    add("unclosed-fence.md", "Intro.\n\n```python\ndef f():\n    return [\n", is_bad=False)
    add("unclosed-fences.md", "text\n````\n```\n" * 10, is_bad=False)
    add("fence-in-list-unclosed.md", "- item\n  ```\n  code\n- not an item\n", is_bad=False)
    add("many-headings.md", "# heading\n" * 2_000)
    add("many-footnotes.md", "".join(f"[^{n}]" for n in range(2_000)) + "\n\n"
        + "".join(f"[^{n}]: note\n" for n in range(2_000)))
    add("unclosed-html.md", "<div>\n" * 5_000 + "<!-- never closed\n")
    add("unclosed-comment.md", "Text.\n\n<!-- never closed\n" + "- a\n" * 100, is_bad=False)
    add("table-wide.md", "|" + "a|" * 3_000 + "\n|" + "-|" * 3_000 + "\n"
        + ("|" + "b|" * 3_000 + "\n") * 5)
    add("many-code-blocks.md", "text\n```\n" * 5_000)
    add("huge-header.md", "---\ntitle: huge\ndate: 2024-01-01\n"
        + "".join(f"key{n}: {'v' * 80}\n" for n in range(2_000)) + "---\nBody.\n", header=False)
    add("huge-file.md", "word " * 1_000_000)
    add("crlf.md", "title: CRLF\r\ndate: 2024-01-01\r\n\r\nIntro:\r\n- a\r\n- b\r\n",
        is_bad=False, header=False)
    add("cr-only.md", "Intro:\r- a\r- b\r", is_bad=False)
    add("empty.md", b"")
    add("bom-only.md", "\ufeff", header=False)
    add("dashes-only.md", "---\n", header=False)
    add("header-only.md", "title: Only a header\ndate: 2024-01-01\n", is_bad=False, header=False)
    add("lone-surrogate.md", "text \ud800 here\n")
    add("unicode-junk.md", _junk_text(rng, 20_000, "αβγ😀\u200b\u202e\ufeffabc [](*_`\n"),
        is_bad=False)
    for name, line in WRONG_TYPES.items():
        fields = {"title": "title: Wrong types", "date": "date: 2024-01-01"}
        fields[line.split(":")[0].replace("_", "-")] = line
        add(f"wrong-{name}.md", "---\n" + "\n".join(fields.values()) + "\n---\nBody.\n",
            header=False)
    return files, bad


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz") / "posts"
    folder.mkdir()
    files, bad = hostile_files(random.Random(20241126))
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "a-folder.md").mkdir()
    os.symlink("symlink-loop.md", folder / "symlink-loop.md")
    bad |= {"a-folder.md", "symlink-loop.md"}
    (folder / "good.md").write_text("title: Good\ndate: 2024-01-01\ntags: fuzz\n\nFine.\n")
    return folder, bad


def timed_get(client, url):
    """GET ``url``: the request may use at most MAX_SECONDS of processor time.

    The test client runs the app in this thread, so the thread's CPU time is
    the request's own work, whatever else the machine is busy with; the wall
    clock only guards against a request that waits on something forever.
    """
    start, cpu = time.perf_counter(), time.thread_time()
    response = client.get(url)
    seconds, wall = time.thread_time() - cpu, time.perf_counter() - start
    assert seconds < MAX_SECONDS, f"{url} took {seconds:.2f} s of CPU time"
    assert wall < 5 * MAX_SECONDS, f"{url} took {wall:.2f} s"
    return response


def test_every_page_answers_quickly(make_app, hostile):
    folder, _ = hostile
    app = make_app(folder)
    client = app.test_client()
    fixed = ["/", "/blog", "/blog/archive", "/feed.xml", "/sitemap.xml", "/robots.txt",
             "/blog/tag/fuzz", "/blog/tag/fuzz/feed.xml"]
    for url in fixed:
        assert timed_get(client, url).status_code == 200, url
    sitemap = etree.fromstring(timed_get(client, "/sitemap.xml").get_data())
    urls = [loc.text.split(app.config["SITE_URL"], 1)[1]
            for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    posts = app.extensions["posts"]
    unrenderable = {f"/blog/{quote(p.slug)}" for p in posts.all() if p.render_error}
    assert unrenderable, "some hostile bodies must be refused by the renderer"
    pages = sorted(set(urls) | {f"/blog/page/{n}" for n in range(2, 6)})
    for url in pages:
        response = timed_get(client, url)
        if url in unrenderable:
            assert response.status_code == 500 and "Something went wrong" in response.text
        elif url.startswith("/blog/page/"):
            assert response.status_code in (200, 404)
        else:
            assert response.status_code == 200, url
    for tag in ("fuzz", "crlf", "long-line-words"):
        assert timed_get(client, f"/blog/tag/{tag}/feed.xml").status_code in (200, 404)
    # Files that are not posts have no page.
    for name in ("binary-junk", "alias-bomb", "a-folder", "symlink-loop", "wrong-date-bool"):
        assert timed_get(client, f"/blog/{name}").status_code == 404


def test_good_hostile_posts_are_served(make_app, hostile):
    folder, _ = hostile
    client = make_app(folder).test_client()
    crlf = timed_get(client, "/blog/crlf").text
    assert "<p>Intro:</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>" in crlf
    assert timed_get(client, "/blog/long-line-words").status_code == 200
    assert timed_get(client, "/blog/unclosed-fence").status_code == 200


def test_check_names_every_bad_file(make_app, hostile):
    folder, bad = hostile
    result = make_app(folder).test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if ": error: " in line]
    named = {os.path.basename(line.split(":", 1)[0]) for line in errors}
    assert bad <= named, f"not reported: {sorted(bad - named)}"
    for line in errors:
        path = line.split(":", 1)[0]
        assert path.endswith(".md"), line
