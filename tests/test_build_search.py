"""The static build's search: the /search page, Pagefind's index of the posts, when
Pagefind runs, and the headers the preview (and so a static host) must send."""
import gzip
import json
import os
import re
import stat
import subprocess
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import url_for

from conftest import SITE_URL
from test_build import REFERENCE, manifest, site, site_posts, site_static  # noqa: F401 (fixtures)
from website.build import headers, layout, search, search_parts
from website.build.builder import BuildError, build
from website.build.preview import make_server
from website.web.public import public_posts

ROOT = Path(__file__).resolve().parent.parent
BUNDLE_FILES = {"pagefind.js", "pagefind-ui.js", "pagefind-ui.css", "pagefind-worker.js",
                "pagefind-entry.json", "wasm.en.pagefind"}


def fragments(out):
    """Every page in the index (all its parts): Pagefind's fragment files, decoded."""
    return decoded(sorted((out / "pagefind").rglob("fragment/*")))


def decoded(paths):
    """Pagefind's fragment files at ``paths``, decoded (gzip, a tag, JSON)."""
    found = []
    for path in paths:
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(b"pagefind_dcd"), path
        found.append(json.loads(data[len(b"pagefind_dcd"):]))
    return found


def public_urls(app):
    """The canonical URL of every post the live site shows, as the app gives them."""
    saved = app.debug, app.config["SHOW_DRAFTS"]
    app.debug, app.config["SHOW_DRAFTS"] = False, False
    try:
        with app.test_request_context("/"):
            return {SITE_URL + url_for("blog.post", slug=post.slug): post
                    for post in public_posts()}
    finally:
        app.debug, app.config["SHOW_DRAFTS"] = saved


def mtimes(out, prefix="pagefind/"):
    return {name: (out / name).stat().st_mtime_ns for name in manifest(out) if
            name.startswith(prefix)}


# --- the index -----------------------------------------------------------

def test_the_index_holds_every_public_post_and_nothing_else(site):
    app, out, report = site
    assert not report.page_errors and report.search.ran
    assert BUNDLE_FILES <= {path.name for path in (out / "pagefind").iterdir()}
    expected = public_urls(app)
    pages = fragments(out)
    # The sample and test posts, and the reference post and the three it links
    # to where it is beside the checkout.
    assert len(expected) > (15 if any(REFERENCE.glob("*.md")) else 10)
    assert sorted(page["meta"]["url"] for page in pages) == sorted(expected)
    entry = json.loads((out / "pagefind" / "pagefind-entry.json").read_text())
    assert entry["version"] == "1.5.2"
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == len(expected)
    # Drafts, scheduled posts and every page that is not a post: nowhere.
    text = " ".join(page["content"] for page in pages)
    assert "draft" not in " ".join(page["meta"]["url"] for page in pages)
    assert not any("/tag/" in page["url"] or page["url"].endswith(("/blog.html", "/index.html"))
                   for page in pages)
    for word in ("Posts tagged", "Previous", "Related posts", "min read", "Skip to content"):
        assert word not in text, word
    assert not re.search(r"\(part \d+ of \d+\)", text)       # the series box


def test_each_entry_has_the_post_s_title_date_tags_and_words(site):
    app, out, _ = site
    expected = public_urls(app)
    for page in fragments(out):
        post = expected[page["meta"]["url"]]
        assert page["meta"]["title"] == post.title
        assert page["filters"] == {}, post.slug
        for tag in post.tags:     # tags are words of the post, as in the app's search
            assert tag in page["content"], (post.slug, tag)
        assert re.fullmatch(r"\d{1,2} \w+ \d{4}", page["meta"]["date"]), page["meta"]
    by_slug = {expected[page["meta"]["url"]].slug: page for page in fragments(out)}
    assert "A heading. A dotted slug" in by_slug["python-3.12-notes"]["content"]  # no "#" link
    assert "An accented address" in by_slug["café-crème"]["content"]
    assert by_slug["c#-and-f# notes?"]["meta"]["url"] \
        == SITE_URL + "/blog/c%23-and-f%23%20notes%3F"
    # The raw HTML a post holds is text in the index, never markup that runs.
    assert "<script>" not in json.dumps(by_slug["quotes-'\"-<angle>"])


def contents(folder):
    """``{relative path: bytes}`` of every file under ``folder``."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in folder.rglob("*") if path.is_file()}


def test_reading_the_article_only_makes_the_index_of_the_whole_page(site, tmp_path):
    """The build has Pagefind read each post's article alone (``--root-selector``);
    Pagefind reading the whole page, as by default, makes the same files."""
    app, out, _ = site
    whole = tmp_path / "site"
    files = [layout.file_for(url[len(SITE_URL):], True) for url in public_urls(app)]
    for name in files:
        (whole / name).parent.mkdir(parents=True, exist_ok=True)
        (whole / name).write_bytes((out / name).read_bytes())
    flags = list(search.PAGEFIND_FLAGS)
    at = flags.index("--root-selector")
    assert flags[at + 1] == "[data-pagefind-body]"
    del flags[at:at + 2]
    subprocess.run([search.pagefind()[0], "--site", str(whole), "--output-path",
                    str(tmp_path / "index"), "--glob", search.POST_GLOB, *flags],
                   check=True, capture_output=True, timeout=300)
    ours, oracle = contents(out / "pagefind"), contents(tmp_path / "index")
    assert len(files) > 10 and len(ours) > 20
    assert sorted(ours) == sorted(oracle)
    assert [name for name in ours if ours[name] != oracle[name]] == []


def test_pagefind_writes_in_memory_when_there_is_room_and_on_disk_otherwise(
        site, tmp_path, monkeypatch):
    """Same index either way; no scratch folder is left behind in memory."""
    app, out, _ = site
    memory = tmp_path / "memory"
    memory.mkdir()
    # What a build killed during Pagefind leaves, and a build still running.
    gone = _finished_pid()
    abandoned = memory / f"{search.SCRATCH}{gone}-x1"
    running = memory / f"{search.SCRATCH}{os.getppid()}-x2"
    for scratch in (abandoned, running):
        (scratch / "fragment").mkdir(parents=True)
    made = []
    real_mkdtemp = search.tempfile.mkdtemp
    monkeypatch.setattr(search.tempfile, "mkdtemp",
                        lambda **kw: made.append(kw["dir"]) or real_mkdtemp(**kw))
    monkeypatch.setattr(search, "MEMORY_FOLDER", str(memory))
    in_memory = build(app, tmp_path / "a" / "build", jobs=1)
    assert in_memory.search.ran and made == [str(memory)]
    assert list(memory.iterdir()) == [running]
    monkeypatch.setattr(search, "MEMORY_FOLDER", str(tmp_path / "no-such-folder"))
    on_disk = build(app, tmp_path / "b" / "build", jobs=1)
    assert on_disk.search.ran and made == [str(memory)]

    def index(report):
        return {name: entry["sha"] for name, entry in report.files.items()
                if name.startswith("pagefind/")}
    assert index(on_disk) == index(in_memory) == {
        name: entry["sha"] for name, entry in manifest(out).items()
        if name.startswith("pagefind/")}
    assert len(index(on_disk)) > 20


def _finished_pid():
    """The process id of a process that has exited."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_no_change_no_pagefind_run_and_nothing_written(site):
    app, out, _ = site
    before = mtimes(out, "")
    report = build(app, out, jobs=1)
    assert not report.search.ran and report.written == 0 and report.removed == 0
    assert mtimes(out, "") == before
    assert "search index unchanged" in report.summary()


def test_pages_changed_but_not_the_posts_text_keeps_the_index_files(site, site_static):
    """A new stylesheet changes every page's bytes (its ?v=): Pagefind runs again,
    but what it makes of the same text has the same bytes and keeps its mtime."""
    app, out, _ = site
    before = mtimes(out)
    css = site_static / "css" / "site.css"
    css.write_text(css.read_text() + "\n/* changed */\n")
    report = build(app, out, jobs=1)
    assert report.search.ran and not report.page_errors
    after = mtimes(out)
    kept = {name for name in after if before.get(name) == after[name]}
    assert {name for name in after if "/fragment/" in name or "/index/" in name} <= kept
    assert kept == set(after) == set(before)     # Pagefind's output: same input, same bytes


def test_full_rebuild_reuses_the_index_when_the_posts_pages_are_the_same(site):
    app, out, _ = site
    before = mtimes(out, "")
    report = build(app, out, jobs=1, full=True)
    assert not report.search.ran and report.written == 0
    assert mtimes(out, "") == before


def test_an_index_file_gone_from_the_output_is_made_again(site):
    app, out, _ = site
    (out / "pagefind" / "pagefind-ui.js").unlink()
    report = build(app, out, jobs=1, full=True)
    assert report.search.ran and not report.page_errors
    assert (out / "pagefind" / "pagefind-ui.js").is_file()
    assert all((out / name).is_file() for name in manifest(out))


def test_a_deleted_post_leaves_the_index(site, site_posts):
    app, out, _ = site
    (site_posts / "café-crème.md").unlink()
    report = build(app, out, jobs=1)
    assert report.search.ran
    urls = [page["meta"]["url"] for page in fragments(out)]
    assert SITE_URL + "/blog/caf%C3%A9-cr%C3%A8me" not in urls
    assert len(urls) == len(public_urls(app))
    assert not any(name.startswith("pagefind/") and not (out / name).exists()
                   for name in manifest(out))


def test_a_new_post_is_found(site, site_posts):
    app, out, _ = site
    (site_posts / "zebra.md").write_text("title: Zebras\ndate: 2024-03-01\ntags: animals\n\n"
                                         "Stripes are quagga-like.\n")
    build(app, out, jobs=1)
    page = next(p for p in fragments(out) if p["meta"]["url"] == SITE_URL + "/blog/zebra")
    assert "quagga-like" in page["content"] and "animals" in page["content"]


def test_no_posts_no_index_and_the_page_says_so(make_app, tmp_path):
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "only.md").write_text("title: Only\ndate: 2024-01-01\n\nText.\n")
    app = make_app(posts)
    out = tmp_path / "out" / "build"
    assert build(app, out, jobs=1).search.ran and (out / "pagefind").is_dir()
    (posts / "only.md").unlink()
    report = build(app, out, jobs=1)
    assert not report.page_errors and "no posts to index" in report.summary()
    assert not (out / "pagefind").exists()
    page = (out / "search.html").read_text()
    assert "There are no posts to search yet." in page and "pagefind" not in page


# --- an index in parts ---------------------------------------------------------

POSTS_PER_PART = 5      # for the test posts: the index of a blog with hundreds


@pytest.fixture
def parted(make_app, site_posts, site_static, tmp_path, monkeypatch):
    """The test site built with an index in parts, as a blog with many posts has."""
    monkeypatch.setattr(search_parts, "POSTS_PER_PART", POSTS_PER_PART)
    app = make_app(site_posts)
    app.static_folder = str(site_static)
    out = tmp_path / "out" / "build"
    report = build(app, out, jobs=2)
    assert not report.page_errors and report.search.ran
    return app, out, report


def part_folders(out):
    """``{folder: [urls of its posts]}`` of each part of the built index."""
    found = {}
    for entry in sorted((out / "pagefind").rglob("pagefind-entry.json")):
        found[entry.parent.relative_to(out).as_posix()] = sorted(
            page["meta"]["url"] for page in fragments_in(entry.parent))
    return found


def index_files(out):
    """The files of the built index (every part), as the manifest names them."""
    return {path.relative_to(out).as_posix() for path in (out / "pagefind").rglob("*")
            if path.is_file()}


def fragments_in(folder):
    """The pages in the one part of the index at ``folder``."""
    return decoded(sorted((folder / "fragment").iterdir()))


def test_parts_follow_from_the_slug_and_an_added_post_changes_one():
    slugs = [f"post-{n}" for n in range(450)]
    assert search_parts.part_count(1) == search_parts.part_count(125) == 1
    assert search_parts.part_count(450) == 4 and search_parts.part_count(10**6) == 8
    before = search_parts.split(slugs)
    assert len(before) == 4 and sorted(s for part in before.values() for s in part) == \
        sorted(slugs)
    assert all(80 < len(part) < 145 for part in before.values())     # about even
    after = search_parts.split(slugs + ["one-more"])
    assert [name for name in before if before[name] != after[name]] == [
        name for name in after if "one-more" in after[name]]
    assert list(before) == ["pagefind", "pagefind/part-2", "pagefind/part-3", "pagefind/part-4"]
    assert search_parts.merged_urls(slugs) == ["/pagefind/part-2/", "/pagefind/part-3/",
                                               "/pagefind/part-4/"]


def test_an_index_in_parts_holds_every_public_post_once(parted):
    app, out, report = parted
    expected = public_urls(app)
    parts = part_folders(out)
    assert len(parts) == report.search.parts == report.search.made == \
        search_parts.part_count(len(expected)) > 2
    assert sorted(url for urls in parts.values() for url in urls) == sorted(expected)
    assert all(urls for urls in parts.values())
    # The bundle has Pagefind's code; the other parts their index alone.
    assert BUNDLE_FILES <= {path.name for path in (out / "pagefind").iterdir()}
    for name in parts:
        if name != "pagefind":
            files = {path.name for path in (out / name).iterdir()}
            assert files == {"pagefind-entry.json", "fragment", "index",
                             next(f for f in files if f.endswith(".pf_meta"))}, name
    # The search page merges the other parts, and every index file is in the manifest.
    page = (out / "search.html").read_text()
    merged = re.search(r'data-merge-index="([^"]+)"', page).group(1).split()
    assert merged == [f"/{name}/" for name in parts if name != "pagefind"]
    assert index_files(out) == {name for name in manifest(out) if name.startswith("pagefind/")}
    assert f"{len(expected)} posts, {len(parts)} of {len(parts)} parts" in report.summary()


def test_an_edit_makes_its_part_again_and_the_others_keep_their_files(parted, site_posts):
    app, out, _ = parted
    before = mtimes(out)
    slug = "python-3.12-notes"
    path = site_posts / f"{slug}.md"
    path.write_text(path.read_text().replace("A dotted slug.", "A dotted slug, edited."))
    report = build(app, out, jobs=2)
    assert not report.page_errors and report.search.ran and report.search.made == 1
    assert f"1 of {report.search.parts} parts made again" in report.summary()
    edited = next(name for name, urls in part_folders(out).items() if urls_have(urls, slug))
    after = mtimes(out)
    changed = {name for name in after if before.get(name) != after[name]}
    assert changed and all(search_parts.part_of_file(name, part_folders(out)) == edited
                           for name in changed)
    assert any("edited" in page["content"] for page in fragments_in(out / edited))
    assert set(before) - set(after) <= {name for name in before if name.startswith(edited)}
    # Nothing changed since: nothing runs, nothing is written.
    again = build(app, out, jobs=2)
    assert not again.search.ran and again.written == 0 and mtimes(out) == after


def test_a_change_in_the_number_of_parts_leaves_no_stale_part(parted, monkeypatch):
    """A blog passing (or going back under) a multiple of POSTS_PER_PART."""
    app, out, _ = parted
    expected = sorted(public_urls(app))
    for per_part, parts in ((100, 1), (POSTS_PER_PART, None)):
        monkeypatch.setattr(search_parts, "POSTS_PER_PART", per_part)
        report = build(app, out, jobs=2)
        assert not report.page_errors and report.search.made == report.search.parts
        found = part_folders(out)
        assert len(found) == (parts or search_parts.part_count(len(expected)))
        assert sorted(url for urls in found.values() for url in urls) == expected
        assert index_files(out) == {name for name in manifest(out) if name.startswith("pagefind/")}
        page = (out / "search.html").read_text()
        assert page.count("/pagefind/part-") == len(found) - 1


def test_a_part_pagefind_fails_on_keeps_its_last_index_and_the_others_are_made(
        parted, site_posts, monkeypatch, tmp_path):
    app, out, _ = parted
    before = part_folders(out)
    slug = "python-3.12-notes"
    failing = next(name for name, urls in before.items() if urls_have(urls, slug))
    # A post of another part, edited too.
    other = next(name for name in before if name != failing)
    posts = public_urls(app)
    real = search.pagefind()
    fake = tmp_path / "pagefind"      # fails on the part holding ``slug`` alone
    fake.write_text(f"#!/bin/sh\nif [ -e \"$2/blog/{slug}.html\" ]; then\n"
                    "  echo 'Error: the disk is on fire' >&2; exit 3\nfi\n"
                    f"exec '{real[0]}' \"$@\"\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    for post in (posts[before[failing][0]], posts[before[other][0]]):
        post.path.write_text(post.path.read_text() + "\n\nAn added line.\n")
    edited = site_posts / f"{slug}.md"
    edited.write_text(edited.read_text() + "\n\nAn added line.\n")
    with monkeypatch.context() as patch:
        patch.setattr(search, "pagefind", lambda: (str(fake), real[1]))
        report = build(app, out, jobs=2)
    assert [e for e in report.page_errors if "disk is on fire" in e]
    assert part_folders(out) == before      # every part still there, with its posts

    def text(part):
        return " ".join(page["content"] for page in fragments_in(out / part))
    assert "An added line" not in text(failing)     # its last index, kept
    assert "An added line" in text(other), posts[before[other][0]].slug
    report = build(app, out, jobs=2)      # made again once Pagefind works
    assert not report.page_errors and report.search.made == 1
    assert "An added line" in text(failing) and part_folders(out) == before


def urls_have(urls, slug):
    return any(url.endswith("/" + slug) for url in urls)


# --- without Pagefind, or when it fails ------------------------------------

def test_without_pagefind_the_build_says_so_and_search_says_unavailable(site, monkeypatch):
    app, out, _ = site
    monkeypatch.setattr(search, "pagefind", lambda: (None, "the pagefind package is not installed"))
    report = build(app, out, jobs=1)
    assert any("pagefind[bin]==1.5.2" in w and "not installed" in w for w in report.warnings)
    assert not (out / "pagefind").exists() and report.search is None
    page = (out / "search.html").read_text()
    assert "Search is not available on this copy of the site" in page
    assert "pagefind-ui.js" not in page
    with pytest.raises(BuildError, match="not installed"):
        build(app, out, jobs=1, strict=True)


def test_a_failing_pagefind_is_an_error_and_the_last_index_stays(site, site_posts, monkeypatch,
                                                                 tmp_path):
    app, out, _ = site
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'Error: the disk is on fire' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(search, "pagefind", lambda: (str(fake), "pagefind 1.5.2"))
    before = {page["meta"]["url"] for page in fragments(out)}
    path = site_posts / "python-3.12-notes.md"
    path.write_text(path.read_text().replace("A dotted slug.", "A dotted slug, edited."))
    target = os.readlink(out)
    with pytest.raises(BuildError, match="page"):
        build(app, out, jobs=1, strict=True)
    assert os.readlink(out) == target
    report = build(app, out, jobs=1)
    assert [e for e in report.page_errors if "disk is on fire" in e and "status 3" in e]
    assert {page["meta"]["url"] for page in fragments(out)} == before   # the last index
    monkeypatch.undo()
    report = build(app, out, jobs=1)       # retried once Pagefind works again
    assert report.search.ran and not report.page_errors
    assert any("edited" in page["content"] for page in fragments(out))


def test_command_line_summary_names_the_index(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["build", "--out", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert re.search(r"\(search index: \d+ posts in [\d.]+ s\) -> ", result.output)


# --- the page ----------------------------------------------------------------

def test_the_search_page_is_the_app_s_search_page_with_pagefind_in_its_results(site):
    app, out, _ = site
    page = (out / "search.html").read_text()
    app.debug, app.config["SHOW_DRAFTS"] = False, False
    live = app.test_client().get("/search").get_data(as_text=True)

    def outside_results(html):
        """The page without the head's links and the results block: the layout."""
        html = re.sub(r"\s*<(link|script) [^>]*(pagefind|search\.)[^>]*>(</script>)?", "", html)
        return html[:html.index("</form>")] + html[html.index("</main>"):]
    assert outside_results(page) == outside_results(live)
    assert '<meta name="robots" content="noindex">' in page
    assert '<div id="search-ui"' in page and "<noscript>" in page
    assert 'action="/search"' in page and 'name="q"' in page
    assert inline_code(page) == []
    for link in re.findall(r'(?:src|href)="(/(?:pagefind|static)/[^"?]+)', page):
        assert (out / link.lstrip("/")).is_file(), link
    assert "/search" not in (out / "sitemap.xml").read_text()


class _Inline(HTMLParser):
    """What a page has inline that a CSP without 'unsafe-inline' refuses."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "style" or "style" in attrs:
            self.found.append(f"<{tag}> style")
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/ld+json":
            self.found.append("inline <script>")
        self.found += [f"<{tag} {name}>" for name in attrs if name.startswith("on")]
        if any((value or "").strip().lower().startswith("javascript:") for value in attrs.values()):
            self.found.append(f"<{tag}> javascript: URL")


def inline_code(html):
    parser = _Inline()
    parser.feed(html)
    return parser.found


def test_the_inline_code_check_can_fail():
    assert inline_code('<p style="x" onclick="y"><script>1</script><style></style>'
                       '<a href="javascript:z">') == [
        "<p> style", "<p onclick>", "inline <script>", "<style> style", "<a> javascript: URL"]


# --- headers: the preview, Apache and the CDN agree ----------------------------

def test_apache_sends_the_same_policy():
    conf = (ROOT / "deploy" / "apache" / "website-vhost.conf.in").read_text()
    found = re.search(r'Header always set Content-Security-Policy "([^"]+)"', conf)
    assert found and found.group(1) == headers.CONTENT_SECURITY_POLICY
    for name, value in headers.OTHER_HEADERS:
        assert f'Header always set {name} "{value}"' in conf


def test_the_search_exception_adds_only_what_pagefind_needs():
    strict = dict(d.split(" ", 1) for d in headers.CONTENT_SECURITY_POLICY.split("; "))
    search_policy = dict(d.split(" ", 1) for d in headers.SEARCH_CONTENT_SECURITY_POLICY.split("; "))
    changed = {k: v for k, v in search_policy.items() if strict.get(k) != v}
    assert changed == {"script-src": "'self' 'wasm-unsafe-eval'", "worker-src": "'self'"}
    assert headers.SEARCH_POLICY_PATHS == ("/search", "/pagefind/pagefind-worker.js")


def test_preview_sends_the_headers_and_the_exception_where_it_belongs(site):
    _app, out, _ = site
    server = make_server(out, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def policy(path):
        try:
            with urllib.request.urlopen(base + path) as response:
                assert response.headers["X-Content-Type-Options"] == "nosniff"
                return response.status, response.headers["Content-Security-Policy"]
        except urllib.error.HTTPError as error:
            return error.code, error.headers["Content-Security-Policy"]
    try:
        relaxed = headers.SEARCH_CONTENT_SECURITY_POLICY
        assert policy("/search?q=apache") == (200, relaxed)
        assert policy("/pagefind/pagefind-worker.js") == (200, relaxed)
        for path in ("/", "/blog", "/blog/python-3.12-notes", "/pagefind/pagefind.js",
                     "/search.html", "/searching"):
            status, value = policy(path)
            assert value == headers.CONTENT_SECURITY_POLICY, path
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
