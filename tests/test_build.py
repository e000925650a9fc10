"""``flask build``: every public URL as a file, byte for byte what the app serves."""
import functools
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import time
import zlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import SAMPLE_POSTS, SITE_URL, TEST_POSTS
from linkcheck import check_site
from website.build import workers
from website.build.builder import BuildError, build
from website.build.layout import file_for, folder_indexes
from website.build.output import Output
from website.build.pages import static_files

ROOT = Path(__file__).resolve().parent.parent      # the repository
REFERENCE = ROOT.parent / "shared/reference"

# Content written the way other people write Markdown: GitHub-flavoured
# tables and fences, raw HTML, links with parentheses, accents in addresses.
HOSTILE = {
    "café-crème.md": """---
title: "Café <crème> & “quotes”"
date: 2024-02-03T10:00:00+01:00
tags: [Écriture, web development]
---
An accented address, a [link to part one](</blog/self-hosting-a-blog-(part-1)>) and
[another](/blog/python-3.12-notes#a-heading).

| Left | Right |
|:-----|------:|
| `a|b` | <b>bold</b> |

~~~js
console.log("<script>")
~~~

<details><summary>More</summary>

Some *Markdown* inside raw HTML, and an image: ![Favicon](/static/img/favicon.svg)

</details>
""",
    "c#-and-f# notes?.md": """title: C# & F# notes?
date: 2024-02-05
tags: c#, .net

A file name with a space, `#` and `?`: all kept in its address. [Home](/).
""",
    "quotes-'\"-<angle>.md": """---
title: "Quotes ' \\" and <angle> brackets"
date: 2024-02-06
tags: ["<b>html</b>", "a/b"]
---
<script>alert("raw HTML is the author's own")</script>

[back](</blog/c%23-and-f%23%20notes%3F>)
""",
    "python-3.12-notes.md": """title: Notes on Python 3.12
date: 2024-02-04
tags: python, web development

## A heading

A dotted slug. See [the café post](/blog/caf%C3%A9-cr%C3%A8me) and the [feed](/feed.xml).[^1]

[^1]: A footnote.
""",
}


@functools.lru_cache(maxsize=None)
def png(width, height, seed=0):
    """A real PNG of noise (large and incompressible, like a screenshot's worth of bytes)."""
    rng = random.Random(seed)
    rows = b"".join(b"\0" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))


@pytest.fixture
def site_posts(tmp_path):
    """Sample posts, the test posts (drafts, scheduled), hostile ones and the reference post."""
    folder = tmp_path / "posts"
    shutil.copytree(SAMPLE_POSTS, folder)
    for path in TEST_POSTS.glob("*.md"):
        shutil.copy(path, folder / path.name)
    for name, text in HOSTILE.items():
        (folder / name).write_text(text, encoding="utf-8")
    for path in REFERENCE.glob("*.md"):
        shutil.copy(path, folder / "how-i-built-this-website-(part-4).md")
        for part in (1, 2, 3):    # the posts it links to
            (folder / f"how-i-built-this-website-(part-{part}).md").write_text(
                f"title: How I built this website, part {part}\ndate: 2018-0{part}-01\n\nText.\n")
    return folder


@pytest.fixture
def site_static(tmp_path):
    """The project's static files, plus big screenshots and the images the reference post shows."""
    folder = tmp_path / "static"
    shutil.copytree(ROOT / "static", folder)
    for n, name in enumerate(["apache2_default.png", "inbound_rules.png", "record_sets.png"]):
        (folder / "img" / name).write_bytes(png(1200, 800, seed=n))
    (folder / "img" / "aws_logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">'
        '<rect width="1" height="1"/></svg>')
    return folder


@pytest.fixture
def site(make_app, site_posts, site_static, tmp_path):
    """The app on those posts, and a build of it in ``tmp_path/out/build``."""
    app = make_app(site_posts, DEBUG=True, SHOW_DRAFTS=True)   # the build ignores both
    app.static_folder = str(site_static)
    out = tmp_path / "out" / "build"
    report = build(app, out, jobs=1)
    return app, out, report


def manifest(out):
    data = json.loads((out.parent / f".{out.name}-cache" / "manifest.json").read_text())
    return data["files"]


def urls_of(out):
    """``{file: url}`` of the build (copies for GitHub Pages included)."""
    return {name: entry["url"] for name, entry in manifest(out).items()}


def test_layout():
    assert file_for("/", True) == "index.html"
    assert file_for("/blog", True) == "blog.html"
    assert file_for("/blog/page/2", True) == "blog/page/2.html"
    assert file_for("/blog/a-(b)", True) == "blog/a-(b).html"
    assert file_for("/blog/caf%C3%A9", True) == "blog/café.html"
    assert file_for("/blog/python-3.12", True) == "blog/python-3.12.html"
    assert file_for("/blog/tag/t/feed.xml", False) == "blog/tag/t/feed.xml"
    assert file_for("/code.css?v=abc", False) == "code.css"
    assert file_for("/static/img/a.png", False) == "static/img/a.png"
    assert folder_indexes(["blog.html", "blog/a.html", "blog/tag/t.html", "blog/tag/t/feed.xml"]) \
        == {"blog/index.html": "blog.html", "blog/tag/t/index.html": "blog/tag/t.html"}


def test_every_file_is_the_app_answer(site):
    app, out, report = site
    assert report.pages == len(manifest(out)) > 40 and not report.page_errors
    client = app.test_client()
    app.debug = False
    app.config["SHOW_DRAFTS"] = False
    made_here = 0
    for name, url in urls_of(out).items():
        if name == "search.html" or name.startswith("pagefind/"):
            made_here += 1      # the static search (tests/test_build_search.py)
            continue
        with client.get(url) as response:
            assert response.status_code == (404 if name == "404.html" else 200), url
            assert (out / name).read_bytes() == response.data, url
    assert 10 < made_here == 1 + len(list((out / "pagefind").rglob("*.*")))


def test_links_in_static_are_left_out_with_a_warning(make_app, site_posts, site_static,
                                                     tmp_path):
    """Apache follows no link in static/; the build must not publish a link's target."""
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key.txt").write_text("PRIVATE KEY")
    (site_static / "leak.txt").symlink_to(secret / "key.txt")
    (site_static / "leaks").symlink_to(secret)
    app = make_app(site_posts)
    app.static_folder = str(site_static)
    out = tmp_path / "out" / "build"
    report = build(app, out, jobs=1)
    files = set(urls_of(out))
    assert "static/css/site.css" in files
    assert not {"static/leak.txt", "static/leaks/key.txt"} & files
    assert not any("PRIVATE KEY" in path.read_text(errors="replace")
                   for path in out.rglob("*") if path.is_file())
    for name in ("leak.txt", "leaks"):
        assert any(w.startswith(f"static/{name}: a symbolic link") for w in report.warnings), \
            report.warnings


def test_what_the_site_shows_in_production(site):
    app, out, _ = site
    files = set(urls_of(out))
    assert {"index.html", "blog.html", "blog/index.html", "blog/archive.html", "feed.xml",
            "sitemap.xml", "robots.txt", "404.html", "code.css", "static/css/site.css",
            "blog/café-crème.html", "blog/python-3.12-notes.html",
            "blog/self-hosting-a-blog-(part-1).html", "blog/tag/web-development.html",
            "blog/tag/web-development/feed.xml", "blog/tag/écriture.html"} <= files
    assert "blog/draft.html" not in files and "blog/future.html" not in files
    assert "static/js/livereload.js" not in files        # the dev server's only
    assert "static/js/livereload.js" in {f"static/{name}" for name, _ in
                                         static_files(app.static_folder)}
    assert "blog/c#-and-f# notes?.html" in files and "blog/tag/.net.html" in files
    assert any(w.startswith("/blog/tag/.net:") for w in site[2].warnings)
    for name in files:
        if name.endswith(".html"):
            text = (out / name).read_text(encoding="utf-8")
            assert "livereload" not in text and "Draft" not in text, name
    css_url = [e["url"] for e in manifest(out).values() if e["url"].startswith("/code.css")]
    assert css_url and css_url[0].startswith("/code.css?v=")
    assert f'href="{css_url[0]}"' in (out / "index.html").read_text()
    assert f"<loc>{SITE_URL}/blog</loc>" in (out / "sitemap.xml").read_text()


def test_sitemap_urls_and_every_link_exist(site):
    _app, out, _ = site
    root = ET.parse(out / "sitemap.xml").getroot()
    locs = [el.text for el in root.iter() if el.tag.endswith("}loc")]
    assert len(locs) > 20
    pages = urls_of(out)
    served = set(pages.values())
    for loc in locs:
        assert loc[len(SITE_URL):] in served, loc
    broken = check_site(out, SITE_URL, pages)
    assert broken == []


def test_link_checker_finds_a_broken_link(site):
    _app, out, _ = site
    target = out / "blog" / "python-3.12-notes.html"
    text = target.read_text(encoding="utf-8")
    target.unlink()    # hard-linked from the cache's point of view: write a new file
    target.write_text(text.replace('href="/feed.xml"', 'href="/fed.xml"')
                      .replace('#a-heading"', '#no-heading"'), encoding="utf-8")
    broken = check_site(out, SITE_URL, urls_of(out))
    assert set(broken) == {("/blog/python-3.12-notes", "/fed.xml", "no such file"),
                           ("/blog/python-3.12-notes", "#no-heading", "no id 'no-heading' there")}


def _record_forks(monkeypatch):
    """``[(pages, forked)]`` of each round of workers.run with pages to render, as they run."""
    rounds = []
    real = workers.run

    def run(job, indexes, jobs, on_result, started=None):
        if indexes:
            rounds.append((len(indexes), workers.forks(job, indexes, jobs)))
        return real(job, indexes, jobs, on_result, started)
    monkeypatch.setattr(workers, "run", run)
    return rounds


def _record_rendered(monkeypatch):
    """The URLs the build asks the app for (each page it renders), as it goes."""
    rendered = []
    real = workers.produce
    monkeypatch.setattr(workers, "produce",
                        lambda job, page: rendered.append(page.url) or real(job, page))
    return rendered


def _generated_posts(folder, count):
    """``folder`` with ``count`` of the benchmark's generated posts in it."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from posts import write_posts
    folder.mkdir()
    write_posts(folder, count)
    return folder


def test_parallel_build_is_the_same(site, make_app, site_posts, tmp_path, monkeypatch):
    app, out, _ = site
    other = tmp_path / "parallel" / "build"
    second = make_app(site_posts)
    second.static_folder = app.static_folder
    monkeypatch.setattr(workers, "SMALL_JOB", 0)     # a small site: forked all the same
    rounds = _record_forks(monkeypatch)
    report = build(second, other, jobs=2)
    assert [forked for _pages, forked in rounds] == [True, True]
    assert not report.page_errors
    assert set(urls_of(other)) == set(urls_of(out))
    for name in urls_of(out):
        assert (other / name).read_bytes() == (out / name).read_bytes(), name


def _stamps(out):
    return {name: (out / name).stat().st_mtime_ns for name in urls_of(out)}


def test_workers_are_forked_for_a_full_build_not_for_an_edit(make_app, tmp_path, monkeypatch):
    # Forking costs more than a rebuild renders after one edit (the post, a
    # few listings and feeds, the sitemap, the archive), and Pagefind has the
    # other core meanwhile; a full build spreads both rounds over the workers.
    posts = _generated_posts(tmp_path / "posts", 400)
    app = make_app(posts)
    out = tmp_path / "out" / "build"
    rounds = _record_forks(monkeypatch)
    build(app, out, jobs=2)
    assert rounds == [(400, True), (rounds[1][0], True)] and rounds[1][0] > 100, rounds
    rounds.clear()
    edited = posts / "post-7.md"
    edited.write_text(edited.read_text().replace("Some opening words", "Some edited words"))
    report = build(app, out, jobs=2)
    assert report.written >= 5 and not report.page_errors, report.summary()
    assert rounds and not any(forked for _pages, forked in rounds), rounds


def test_nothing_changed_writes_nothing(site):
    app, out, _ = site
    before, target = _stamps(out), os.readlink(out)
    report = build(app, out, jobs=1)
    assert (report.written, report.removed) == (0, 0)
    assert report.unchanged == report.pages
    assert os.readlink(out) == target and _stamps(out) == before


def test_a_change_that_changes_no_bytes_renders_the_pages_once(site, monkeypatch):
    app, out, _ = site
    before, target = _stamps(out), os.readlink(out)
    app.config["A_SETTING_NO_PAGE_SHOWS"] = "new"     # part of every page's fingerprint
    rendered = _record_rendered(monkeypatch)
    report = build(app, out, jobs=1)
    assert report.written == 0 and len(rendered) > 50
    rendered.clear()
    report = build(app, out, jobs=1)
    assert report.written == 0 and rendered == []
    assert os.readlink(out) == target and _stamps(out) == before


def test_how_the_command_was_called_renders_nothing_again(make_app, site_posts, monkeypatch,
                                                         tmp_path):
    # `flask` sets FLASK_RUN_FROM_CLI, `FLASK_APP=website flask build` gives
    # FLASK_APP, and FLASK_BUILD_JOBS is --jobs: create_app reads every FLASK_*
    # variable into the settings, and none of these changes a page.
    out = tmp_path / "out" / "build"
    build(make_app(site_posts), out, jobs=1)
    for name, value in (("FLASK_RUN_FROM_CLI", "true"), ("FLASK_APP", "website"),
                        ("FLASK_BUILD_JOBS", "2"), ("FLASK_RUN_PORT", "8001")):
        monkeypatch.setenv(name, value)
    app = make_app(site_posts)
    assert app.config["RUN_FROM_CLI"] is True and app.config["BUILD_JOBS"] == 2
    rendered = _record_rendered(monkeypatch)
    report = build(app, out, jobs=1)
    assert rendered == [] and report.written == 0
    # A setting of the site's own is part of every page's fingerprint.
    monkeypatch.setenv("FLASK_ANALYTICS_ID", "UA-1")
    build(make_app(site_posts), out, jobs=1)
    assert len(rendered) > 50


def test_an_edited_template_is_what_the_next_build_uses(make_app, site_posts, tmp_path):
    """Builds keep the templates Jinja compiles (beside the output); an edit is seen."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    out = tmp_path / "out" / "build"

    def build_with_templates():
        app = make_app(site_posts)          # a new app, as each `flask build` makes
        app.template_folder = str(templates)
        return build(app, out, jobs=1)
    build_with_templates()
    assert len(list((out.parent / ".build-cache" / "templates").iterdir())) > 5
    base = templates / "base.html"
    base.write_text(base.read_text().replace("</footer>", "<p>Edited footer.</p></footer>"))
    report = build_with_templates()
    assert "index.html" in report.new_files
    assert "<p>Edited footer.</p>" in (out / "index.html").read_text()
    assert "<p>Edited footer.</p>" in (out / "blog" / "python-3.12-notes.html").read_text()


def test_one_edit_rewrites_only_what_shows_it(site, site_posts):
    app, out, _ = site
    before = _stamps(out)
    old_bytes = {name: (out / name).read_bytes() for name in before}
    path = site_posts / "python-3.12-notes.md"
    path.write_text(path.read_text().replace("A dotted slug.", "A dotted slug, edited."))
    report = build(app, out, jobs=1)
    after = _stamps(out)
    changed = {name for name in after if after[name] != before.get(name)}
    differ = {name for name in after if (out / name).read_bytes() != old_bytes.get(name)}
    assert changed == differ      # rewritten exactly when the bytes changed
    assert {"blog/python-3.12-notes.html", "feed.xml", "blog/tag/python/feed.xml",
            "blog/tag/python.html", "blog/tag/web-development.html"} <= changed
    assert "blog/self-hosting-a-blog-(part-1).html" not in changed
    assert "static/css/site.css" not in changed and "404.html" not in changed
    assert "blog/archive.html" not in changed     # titles and dates unchanged: same bytes
    assert report.written == len(changed)
    # The search index: the edited post's fragment is new, the others are kept.
    gone = set(before) - set(after)
    assert report.removed == len(gone) and all(name.startswith("pagefind/") for name in gone)
    fragments = {name for name in changed if name.startswith("pagefind/fragment/")}
    assert len(fragments) == 1 and len(gone & {n for n in before if "/fragment/" in n}) == 1
    assert not any(name.endswith((".js", ".css", ".pagefind")) for name in changed)
    assert "A dotted slug, edited." in (out / "blog/python-3.12-notes.html").read_text()


def test_after_edits_the_build_equals_a_full_build_from_nothing(site, site_posts, tmp_path):
    """Posts whose addresses are percent-encoded (accents, "#", "?", spaces) too:
    their pages and tags' pages are written again when they change."""
    app, out, _ = site
    for name in ("café-crème.md", "c#-and-f# notes?.md", "python-3.12-notes.md"):
        path = site_posts / name
        path.write_text(path.read_text() + "\nA line added later.\n", encoding="utf-8")
    path = site_posts / "c#-and-f# notes?.md"
    path.write_text(path.read_text().replace("tags: c#, .net", "tags: c#, .net, écriture"))
    report = build(app, out, jobs=1)
    assert {"blog/café-crème.html", "blog/c#-and-f# notes?.html",
            "blog/tag/écriture.html"} <= report.new_files
    fresh = tmp_path / "fresh" / "build"
    build(app, fresh, jobs=1)
    files = set(urls_of(out))
    assert files == set(urls_of(fresh)) and len(files) > 100
    assert [name for name in sorted(files)
            if (out / name).read_bytes() != (fresh / name).read_bytes()] == []
    assert "A line added later." in (out / "blog/café-crème.html").read_text()


def test_deleted_post_and_its_tag_disappear(site, site_posts):
    app, out, _ = site
    assert (out / "blog/tag/écriture.html").exists()
    (site_posts / "café-crème.md").unlink()
    report = build(app, out, jobs=1)
    files = set(urls_of(out))
    assert "blog/café-crème.html" not in files and not (out / "blog/café-crème.html").exists()
    assert not (out / "blog/tag/écriture.html").exists()
    assert not (out / "blog/tag/écriture/feed.xml").exists()
    assert report.removed >= 3


def test_old_build_folders_are_cleaned(site, site_posts):
    app, out, _ = site
    for n in range(3):
        (site_posts / f"extra-{n}.md").write_text(
            f"title: Extra {n}\ndate: 2020-01-0{n + 1}\n\nX\n")
        build(app, out, jobs=1)
    folders = [p for p in out.parent.iterdir() if p.name.startswith(".build-") and p.is_dir()
               and not p.name.endswith("-cache")]
    assert len(folders) == 2          # the live one and the one before it
    assert out.resolve() in folders


@pytest.mark.parametrize("slugs", [("same.html", "same"), ("Case", "case")])
def test_collision_names_both_urls(make_app, tmp_path, slugs):
    folder = tmp_path / "posts"
    folder.mkdir()
    for n, slug in enumerate(slugs):
        (folder / f"p{n}.md").write_text(
            f"title: P{n}\ndate: 2024-01-0{n + 1}\nslug: {slug}\n\nB\n")
    with pytest.raises(BuildError) as caught:
        build(make_app(folder), tmp_path / "out", jobs=1)
    message = str(caught.value)
    assert f"/blog/{slugs[0]}" in message and f"/blog/{slugs[1]}" in message
    assert not (tmp_path / "out").exists()


def test_bad_post_skipped_or_strict(make_app, site_posts, tmp_path):
    (site_posts / "broken.md").write_text("---\ntitle: Broken\ndate: 2024-13-01\n---\nBody\n")
    app = make_app(site_posts)
    out = tmp_path / "out"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["build", "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "broken.md:3: error: date:" in result.output and "(skipped)" in result.output
    assert (out / "blog/python-3.12-notes.html").exists()
    assert not (out / "blog/broken.html").exists()
    target = os.readlink(out)
    (site_posts / "python-3.12-notes.md").write_text("title: Changed\ndate: 2024-02-04\n\nNew\n")
    result = runner.invoke(args=["build", "--out", str(out), "--strict"])
    assert result.exit_code == 1
    assert "broken.md:3: error" in result.output and "left as it was" in result.output
    assert os.readlink(out) == target
    assert "Notes on Python 3.12" in (out / "blog/python-3.12-notes.html").read_text()


def test_command_prints_a_summary(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["build", "--out", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert "warning: SITE_URL" not in result.output
    app.config["SITE_URL"] = "http://127.0.0.1:5000"
    local = app.test_cli_runner().invoke(args=["build", "--out", str(tmp_path / "local")])
    assert "warning: SITE_URL is http://127.0.0.1:5000" in local.output
    last = result.output.strip().splitlines()[-1]
    assert " written, " in last and " unchanged, " in last and " removed" in last \
        and last.endswith(f"-> {tmp_path / 'site'}")


# Run as its own process: builds twice, then says how many objects were frozen
# just before it exits (its handler, registered first, runs after the build's).
FROZEN_AT_EXIT = """
import atexit, gc, sys
print("frozen at start", gc.get_freeze_count())   # not 0 on every Python (3.12.1: 375)
atexit.register(lambda: print("frozen at exit", gc.get_freeze_count()))
from website import create_app
app = create_app({"POSTS_DIR": sys.argv[1], "SITE_URL": sys.argv[2]})
for out in sys.argv[3:]:
    result = app.test_cli_runner().invoke(args=["build", "--out", out, "--jobs", "1"])
    assert result.exit_code == 0, result.output
print("frozen before exit", gc.get_freeze_count())
"""


def test_a_build_process_skips_the_last_garbage_collection_at_exit(posts_dir, tmp_path):
    done = subprocess.run([sys.executable, "-c", FROZEN_AT_EXIT, str(posts_dir), SITE_URL,
                           str(tmp_path / "a"), str(tmp_path / "b")],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    start, before, at_exit = (int(line.rsplit(" ", 1)[1]) for line in done.stdout.splitlines())
    assert before == start, done.stdout             # nothing is frozen while the builds run
    assert at_exit > start + 10_000, done.stdout    # every object the process still has
    assert (tmp_path / "b" / "index.html").is_file()


def test_output_lock_refuses_a_second_build(app, tmp_path):
    holder = Output(tmp_path / "site")
    holder.lock()
    try:
        with pytest.raises(BuildError, match="another build"):
            build(app, tmp_path / "site", jobs=1)
    finally:
        holder.unlock()


def test_an_empty_folder_is_replaced_a_full_one_refused(app, tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    build(app, out, jobs=1)
    assert out.is_symlink() and (out / "index.html").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(BuildError, match="was not made by a build"):
        build(app, mine, jobs=1)
    assert (mine / "notes.txt").read_text() == "keep me" and not mine.is_symlink()


def test_unchanged_posts_are_never_rendered_again(site, monkeypatch):
    app, out, _ = site
    from website.content import rendering
    calls = []
    real = rendering.render
    monkeypatch.setattr(rendering, "render", lambda text: calls.append(text) or real(text))
    app.extensions["posts"]._checked_at = None
    for post in app.extensions["posts"].all():
        post.__dict__.pop("_rendered", None)
    report = build(app, out, jobs=1, full=True)       # every page asked for again
    assert report.written == 0 and not report.page_errors
    assert [text for text in calls if text] == []     # every body came from the cache
    # (the empty one is the warm-up that builds the converter before forking)


def test_preview_serves_every_page_and_link(site):
    import threading
    import urllib.error
    import urllib.request

    from linkcheck import internal_path, page_links
    from website.build.preview import make_server

    _app, out, _ = site
    server = make_server(out, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def get(path):
        try:
            with urllib.request.urlopen(base + path) as response:
                return response.status, response.headers["Content-Type"], response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers["Content-Type"], error.read()
    try:
        links = set()
        for name, url in urls_of(out).items():
            status, kind, body = get(url)
            assert status == 200, url          # /404.html too: it is a file like the others
            if name in manifest(out) and "copy_of" not in manifest(out)[name]:
                assert body == (out / name).read_bytes(), url
            if name.endswith(".html"):
                assert kind == "text/html; charset=utf-8"
                links.update(found[0] for _tag, link in page_links(out / name)[0]
                             if (found := internal_path(link, url, SITE_URL)))
        assert "/blog/caf%C3%A9-cr%C3%A8me" in links and "/blog/tag/web-development" in links
        for path in sorted(links):
            assert get(path)[0] == 200, path
        status, kind, body = get("/no/such/page")
        assert status == 404 and body == (out / "404.html").read_bytes()
        assert get("/blog/")[0] == 200                    # blog/index.html, as GitHub Pages
        assert get("/../../etc/passwd")[0] == 404
        assert get("/static/")[0] == 404                   # never a folder listing
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_killed_build_leaves_the_previous_output_whole(tmp_path):
    import signal

    posts = _generated_posts(tmp_path / "posts", 300)
    out = tmp_path / "site" / "build"
    env = dict(os.environ, FLASK_POSTS_DIR=str(posts), FLASK_SITE_URL=SITE_URL)
    command = [sys.executable, "-m", "flask", "--app", "website", "build", "--out", str(out),
               "--jobs", "1"]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    before = {name: (out / name).read_bytes() for name in urls_of(out)}
    target = os.readlink(out)
    for path in posts.glob("*.md"):        # every page changes: a long write phase
        path.write_text(path.read_text().replace("Post number", "Entry number"))
    build_process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            staging = [p for p in out.parent.iterdir() if p.name.startswith(".build-2")
                       and p.name != target and (p / "blog").is_dir()]
            if staging and sum(1 for _ in (staging[0] / "blog").glob("*.html")) > 20:
                break
            time.sleep(0.01)
        else:
            pytest.fail("the build never reached its write phase")
        build_process.send_signal(signal.SIGKILL)
    finally:
        build_process.wait()
    assert build_process.returncode == -signal.SIGKILL
    assert os.readlink(out) == target
    assert {name: (out / name).read_bytes() for name in before} == before
    assert "Post number" in (out / "blog/post-7.html").read_text()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    assert "Entry number" in (out / "blog/post-7.html").read_text()
    leftovers = [p.name for p in out.parent.iterdir()
                 if p.name.startswith(".build-2") and p.is_dir()]
    assert sorted(leftovers) == sorted([target, os.readlink(out)])


def test_progress_on_a_terminal_line():
    import io

    from website.build.command import Progress
    stream = io.StringIO()
    progress = Progress(stream)
    for done in range(1, 11):
        progress(done, 10)
    progress.clear()
    text = stream.getvalue()
    assert text.startswith("\r1/10 pages") and "\r10/10 pages" in text
    assert text.endswith("\r\033[K")


def test_the_live_app_starts_without_the_build_layer(tmp_path):
    """The commands are registered at every start (under Apache too); the
    builder and the preview server are imported only when one runs."""
    script = ("import sys\n"
              "from website import create_app\n"
              f"app = create_app({{'POSTS_DIR': {str(TEST_POSTS)!r}, 'CACHE_DIR': {str(tmp_path)!r}}})\n"
              "assert app.test_client().get('/blog').status_code == 200\n"
              "assert 'build' in app.cli.commands and 'preview' in app.cli.commands\n"
              "print(sorted(name for name in sys.modules if name.startswith('website.build')))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[0] == "['website.build', 'website.build.command']"


def test_render_cache_gives_back_what_was_rendered(tmp_path, site_posts):
    from website.content import rendering
    from website.content.render_cache import RenderCache
    cache = RenderCache(tmp_path / "bodies.sqlite")
    texts = [path.read_text(encoding="utf-8") for path in sorted(site_posts.glob("*.md"))]
    for text in texts:
        assert cache.get(text) is None
        cache.put(text, rendering.render(text))
    cache.flush()
    cache.close()
    again = RenderCache(tmp_path / "bodies.sqlite")       # another process would see the same
    for text in texts:
        assert again.get(text) == rendering.render(text)
    assert any(again.get(text).toc_tokens for text in texts)
    again.put_facts({"abc": {"summary": "S", "reading_minutes": 3,
                             "tag_slugs": frozenset({"a", "b"})}})
    assert again.get_facts(["abc", "other"]) == {
        "abc": {"summary": "S", "reading_minutes": 3, "tag_slugs": frozenset({"a", "b"})}}
    again.close()


def test_a_page_that_fails_keeps_its_last_version(make_app, site_posts, tmp_path):
    app = make_app(site_posts, TESTING=False)     # errors become 500 pages, as in production
    out = tmp_path / "out"
    build(app, out, jobs=1)
    before = (out / "blog/python-3.12-notes.html").read_bytes()
    real = app.jinja_env.globals["related_posts"]

    def related_posts(post):
        if post.slug == "python-3.12-notes":
            raise RuntimeError("a template helper broke")
        return real(post)
    app.jinja_env.globals["related_posts"] = related_posts
    path = site_posts / "python-3.12-notes.md"
    path.write_text(path.read_text().replace("A dotted slug.", "Changed."))
    (site_posts / "why-plain-files.md").write_text(
        (site_posts / "why-plain-files.md").read_text() + "\nOne more line.\n")
    target = os.readlink(out)
    with pytest.raises(BuildError, match="1 page"):
        build(app, out, jobs=1, strict=True)
    assert os.readlink(out) == target
    report = build(app, out, jobs=1)
    assert report.page_errors == ["/blog/python-3.12-notes: the app answered 500"]
    assert (out / "blog/python-3.12-notes.html").read_bytes() == before
    assert "One more line." in (out / "blog/why-plain-files.html").read_text()
    app.jinja_env.globals["related_posts"] = real
    build(app, out, jobs=1)                        # tried again, now it works
    assert "Changed." in (out / "blog/python-3.12-notes.html").read_text()


def test_the_search_index_is_left_unbuilt(site):
    app, _out, report = site
    assert report.pages > 40
    assert len(app.extensions["search"]) == 0       # no page of the build searches
    app.debug = False
    app.config["SHOW_DRAFTS"] = False
    with app.test_client().get("/") as response:     # the live app still follows the posts
        assert response.status_code == 200
    assert app.extensions["search"].wait_until_built(30)
    assert len(app.extensions["search"]) > 0


def test_a_tag_page_is_rendered_again_only_when_what_it_shows_changed(make_app, tmp_path):
    folder = tmp_path / "posts"
    folder.mkdir()
    for n in range(25):     # three pages of the tag "t", ten posts a page
        (folder / f"p{n:02}.md").write_text(
            f"title: P{n}\ndate: 2024-01-{n + 1:02}\ntags: t\n\nText.\n")
    app = make_app(folder, POSTS_PER_PAGE=10)
    out = tmp_path / "out" / "build"
    build(app, out, jobs=1)
    before = {name: entry["fingerprint"] for name, entry in manifest(out).items()}
    oldest = folder / "p00.md"      # on the tag's last page
    oldest.write_text(oldest.read_text().replace("Text.", "Edited text."))
    build(app, out, jobs=1)
    after = {name: entry["fingerprint"] for name, entry in manifest(out).items()}
    assert after["blog/tag/t.html"] == before["blog/tag/t.html"]
    assert after["blog/tag/t/page/2.html"] == before["blog/tag/t/page/2.html"]
    assert after["blog/tag/t/page/3.html"] != before["blog/tag/t/page/3.html"]
    (folder / "p99.md").write_text("title: New\ndate: 2024-02-01\ntags: t\n\nText.\n")
    build(app, out, jobs=1)
    again = {name: entry["fingerprint"] for name, entry in manifest(out).items()}
    # One more post: every page of the tag shows the new count (and shifts its posts).
    assert all(again[name] != after[name] for name in
               ("blog/tag/t.html", "blog/tag/t/page/2.html", "blog/tag/t/page/3.html"))


def test_the_head_start_renders_into_the_cache_until_stopped(make_app, site_posts, tmp_path):
    from website.build import head_start
    from website.content import rendering
    from website.content.render_cache import RenderCache
    from website.web.public import public_posts
    for n in range(2 * head_start.FEW):
        (site_posts / f"more-{n}.md").write_text(
            f"title: More {n}\ndate: 2021-01-01\n\n- [x] done\n- item ~~{n}~~\n\n"
            f"```python\nprint({n})\n```\n", encoding="utf-8")
    app = make_app(site_posts)
    cache = RenderCache(tmp_path / "bodies.sqlite")
    with app.test_request_context("/"):
        posts = public_posts()
    assert len(posts) >= head_start.FEW
    assert head_start.start(cache, posts, jobs=1) is None       # no spare core
    head = head_start.start(cache, posts, jobs=2)
    assert head.running
    deadline = time.monotonic() + 60
    while len(cache.keys()) < head_start.BATCH and time.monotonic() < deadline:
        time.sleep(0.05)
    head.stop()
    assert not head.running
    rendered = cache.keys()
    assert len(rendered) >= head_start.BATCH
    for post in posts:
        if cache.key(post.body) in rendered:
            assert cache.get(post.body) == rendering.render(post.body), post.slug
    # Once every body is kept, nothing is worth a process.
    for post in posts:
        cache.put(post.body, rendering.render(post.body))
    cache.flush()
    assert not head_start.start(cache, posts, jobs=2).running
    cache.close()


def test_one_body_to_render_is_worth_a_head_start(make_app, site_posts, tmp_path):
    # A rebuild after one edit: the one body the cache lacks is rendered by
    # the head start, beside the planning (see head_start's docstring).
    from website.build import head_start
    from website.content import rendering
    from website.content.render_cache import RenderCache
    from website.web.public import public_posts
    app = make_app(site_posts)
    cache = RenderCache(tmp_path / "bodies.sqlite")
    with app.test_request_context("/"):
        posts = public_posts()
    [edited, *kept] = posts
    for post in kept:
        cache.put(post.body, rendering.render(post.body))
    cache.flush()
    head = head_start.start(cache, posts, jobs=2)
    assert head.running
    deadline = time.monotonic() + 60
    while cache.key(edited.body) not in cache.keys() and time.monotonic() < deadline:
        time.sleep(0.05)
    head.stop()
    assert cache.get(edited.body) == rendering.render(edited.body)
    cache.close()


def test_a_small_blog_s_first_build_forks_no_head_start(make_app, tmp_path):
    from website.build import head_start
    from website.content.render_cache import RenderCache
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / ".hidden.md").write_text("title: Hidden\ndate: 2021-01-01\n\nText.\n")
    for n in range(head_start.FEW - 1):
        (posts / f"post-{n}.md").write_text(f"title: Post {n}\ndate: 2021-01-01\n\nText.\n")
    cache = RenderCache(tmp_path / "bodies.sqlite")
    try:
        collection = make_app(posts).extensions["posts"]
        assert head_start.start_reading(cache, collection, jobs=2) is None
        for more in ("post-last.md", "folder/post.md"):     # one more post, or a subfolder
            path = posts / more
            path.parent.mkdir(exist_ok=True)
            path.write_text("title: More\ndate: 2021-01-01\n\nText.\n")
            head = head_start.start_reading(cache, collection, jobs=2)
            assert head.running, more
            head.stop()
            path.unlink()
    finally:
        cache.close()


def test_a_first_build_s_head_start_reads_the_posts_itself(make_app, site_posts, tmp_path):
    # Forked before the collection is read: it reads the files, one by one,
    # and renders each published body into the cache (drafts and bad files
    # left alone).
    from website.build import head_start
    from website.content import rendering
    from website.content.render_cache import RenderCache
    for n in range(head_start.FEW):
        (site_posts / f"more-{n}.md").write_text(
            f"title: More {n}\ndate: 2021-01-01\n\n| a | b |\n|---|---|\n| {n} | x |\n",
            encoding="utf-8")
    (site_posts / "secret.md").write_text("title: Secret\ndate: 2021-01-01\ndraft: true\n\n"
                                          "Not yet.\n", encoding="utf-8")
    (site_posts / "broken.md").write_text("title: [unclosed\n\nText.\n", encoding="utf-8")
    app = make_app(site_posts)
    collection = app.extensions["posts"]
    cache = RenderCache(tmp_path / "bodies.sqlite")
    assert head_start.start_reading(cache, collection, jobs=1) is None     # no spare core
    head = head_start.start_reading(cache, collection, jobs=2)
    assert head.running
    with app.app_context():
        posts = collection.all()
    assert any(post.draft for post in posts) and collection.errors
    wanted = {cache.key(post.body): post for post in posts if not post.draft}
    deadline = time.monotonic() + 60
    while len(cache.keys()) < len(wanted) and time.monotonic() < deadline:
        time.sleep(0.05)
    head.stop()
    assert cache.keys() == set(wanted)          # every published body, and only those
    for key, post in wanted.items():
        assert cache.get(post.body) == rendering.render(post.body), post.slug
    cache.close()


ORPHANED_HEAD_START = """
import os, sys
from website import create_app
from website.build import head_start
from website.content.render_cache import RenderCache
app = create_app({"POSTS_DIR": sys.argv[1], "CACHE_DIR": ""})
head = head_start.start_reading(RenderCache(sys.argv[2]), app.extensions["posts"], jobs=2)
print(head._process.pid, flush=True)
os._exit(0)         # as a killed build: nothing stopped, nothing cleaned up
"""


def test_a_head_start_ends_soon_after_its_build_is_killed(site_posts, tmp_path):
    # It would otherwise go on through every body, holding the build's
    # output lock (inherited): the next build would be refused meanwhile.
    import sqlite3
    from contextlib import closing

    for n in range(200):
        prose = f"Words *and* [links](/x) and `code` of post {n}, to render. " * 8
        (site_posts / f"long-{n}.md").write_text(
            f"title: Long {n}\ndate: 2021-01-01\n\n" + f"{prose}\n\n" * 40, encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", ORPHANED_HEAD_START, str(site_posts),
                           str(tmp_path / "bodies.sqlite")],
                          cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    stat = Path("/proc", done.stdout.strip(), "stat")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:        # gone, or a zombie no one reaps (state Z)
            if stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
                break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the head start still runs a minute after its build was killed")
    with closing(sqlite3.connect(tmp_path / "bodies.sqlite")) as db:
        rendered = db.execute("SELECT count(*) FROM bodies").fetchone()[0]
    assert rendered < 20       # not the 200 long bodies: it stopped at once
