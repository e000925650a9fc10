"""Search on the static build, in Chromium: the built site (sample posts) served by the
project's preview server, with the site's strict CSP and the search exception only,
as a static host sends them. The header's box leads to Pagefind's results."""
import re
import shutil
import threading
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from browser.site_server import SAMPLE_POSTS
from browser.test_browser_pages import Watch, open_page
from browser.test_lighthouse import CATEGORIES, MINIMUM, run_lighthouse, shortfalls
from website import create_app
from website.build import headers, search_parts
from website.build.builder import build
from website.build.preview import make_server

APACHE_POST = "Self-hosting a blog, part 1: one small server"
APACHE_URL = "/blog/self-hosting-a-blog-(part-1)"
# Not the preview's address: results must still link to this host.
SITE_URL = "https://blog.example.com"
# Seen by the page for every refusal of the CSP (Playwright adds it outside the CSP).
WATCH_CSP = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    """The sample posts, built as a static site."""
    root = tmp_path_factory.mktemp("static-search")
    shutil.copytree(SAMPLE_POSTS, root / "posts")
    app = create_app({"POSTS_DIR": str(root / "posts"), "SITE_URL": SITE_URL})
    report = build(app, root / "build", jobs=1)
    assert not report.page_errors and report.search.ran
    return root / "build"


@contextmanager
def preview(folder):
    server = make_server(folder, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, name="preview", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def static_url(built_site):
    with preview(built_site) as url:
        yield url


@pytest.fixture(scope="module")
def parted_url(tmp_path_factory):
    """The sample posts built with an index in parts (one post each), as a blog with
    hundreds of posts has, served by the preview."""
    root = tmp_path_factory.mktemp("static-search-parts")
    shutil.copytree(SAMPLE_POSTS, root / "posts")
    app = create_app({"POSTS_DIR": str(root / "posts"), "SITE_URL": SITE_URL})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search_parts, "POSTS_PER_PART", 1)
        report = build(app, root / "build", jobs=2)
    assert not report.page_errors and report.search.parts >= 3
    # The posts' titles, from their built pages (those Pagefind indexes).
    pages = [path.read_text() for path in sorted((root / "build" / "blog").glob("*.html"))]
    titles = [re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1).strip()
              for html in pages if "data-pagefind-body" in html]
    assert len(titles) == report.search.posts
    with preview(root / "build") as url:
        yield url, report.search.parts, titles


def open_watched(new_page, base, path, **options):
    page = new_page(**options)
    page.add_init_script(WATCH_CSP)
    watch = Watch(page, base)
    response = page.goto(base + path, wait_until="load")
    return page, watch, response


def results(page):
    """The result links, once loaded. (No wait_for_function: the CSP forbids its eval.)"""
    expect(page.locator(".pagefind-ui__result-link").first).to_be_visible(timeout=15000)
    expect(page.locator(".pagefind-ui__loading")).to_have_count(0)
    return page.locator(".pagefind-ui__result-link")


def test_typing_apache_in_the_header_finds_the_apache_post(new_page, static_url):
    page, watch, _ = open_watched(new_page, static_url, "/")
    box = page.get_by_role("searchbox", name="Search posts")
    box.fill("apache")
    box.press("Enter")
    page.wait_for_url("**/search?q=apache")
    links = results(page)
    assert APACHE_POST in links.all_inner_texts()
    marks = page.locator(".pagefind-ui__result-excerpt mark")
    assert marks.count() >= 1
    assert {text.lower() for text in marks.all_inner_texts()} == {"apache"}
    assert "result" in page.locator(".pagefind-ui__message").inner_text()
    # The site's own form is replaced by Pagefind's box, which holds the words.
    assert page.locator("main form.search-form").is_hidden()
    assert page.locator(".pagefind-ui__search-input").input_value() == "apache"
    # Results link to the post's address on this host, not to a file or to SITE_URL.
    link = page.get_by_role("link", name=APACHE_POST)
    assert link.get_attribute("href") == APACHE_URL
    link.click()
    page.wait_for_url(static_url + APACHE_URL)
    assert page.locator("main h1").inner_text() == APACHE_POST
    assert watch.errors == [] and watch.failed == [] and watch.foreign == []
    assert page.evaluate("window.cspViolations") == []


def test_typing_again_searches_as_you_type_and_keeps_the_address(new_page, static_url):
    page, watch, _ = open_watched(new_page, static_url, "/search?q=apache")
    results(page)
    box = page.locator(".pagefind-ui__search-input")
    box.fill("plain files")
    page.wait_for_url("**/search?q=plain%20files")
    expect(page.get_by_role("link", name="Why this blog is a folder of plain files")) \
        .to_be_visible()
    page.reload()
    assert "Why this blog is a folder of plain files" in results(page).all_inner_texts()
    assert watch.errors == [] and page.evaluate("window.cspViolations") == []


def test_an_index_in_parts_finds_the_posts_of_every_part(new_page, parted_url):
    """Each post is in a part of its own: Pagefind merges them all, loading its
    code and WebAssembly once."""
    base, parts, titles = parted_url
    page = new_page()
    page.add_init_script(WATCH_CSP)
    watch = Watch(page, base)
    loaded = []      # the worker's requests too (the Performance API misses those)
    page.on("request", lambda request: loaded.append(request.url.split("?")[0]))
    page.goto(base + "/search?q=apache", wait_until="load")
    assert APACHE_POST in results(page).all_inner_texts()
    box = page.locator(".pagefind-ui__search-input")
    for title in titles:
        box.fill(title)
        expect(page.get_by_role("link", name=title)).to_be_visible(timeout=15000)
    entries = {url for url in loaded if url.endswith("/pagefind-entry.json")}
    assert len(entries) == parts
    for name in ("pagefind.js", "wasm.en.pagefind", "pagefind-ui.js"):
        assert len([url for url in loaded if url.endswith("/" + name)]) == 1, name
    assert watch.errors == [] and watch.failed == [] and watch.foreign == []
    assert page.evaluate("window.cspViolations") == []


def test_without_javascript_the_page_says_why_and_links_to_the_posts(new_page, static_url):
    page, _, response = open_page(new_page, static_url, "/search?q=apache",
                                  java_script_enabled=False)
    assert response.status == 200
    main = page.locator("main").inner_text()
    assert "needs JavaScript" in main
    assert page.get_by_role("link", name="all posts").get_attribute("href") == "/blog"
    assert page.get_by_role("searchbox", name="Search posts").is_visible()
    assert page.locator(".pagefind-ui").count() == 0
    assert page.locator('meta[name="robots"]').get_attribute("content") == "noindex"


def test_without_the_worker_s_exception_the_csp_stops_pagefind(new_page, built_site,
                                                                monkeypatch):
    """The check above can fail: Pagefind's worker under the strict policy is refused."""
    monkeypatch.setattr(headers, "SEARCH_POLICY_PATHS", ("/search",))
    with preview(built_site) as base:
        page = new_page()
        with page.expect_console_message(
                lambda message: message.type == "error" and "unsafe-eval" in message.text,
                timeout=15000) as refused:
            page.goto(base + "/search?q=apache")
        assert "Content Security Policy" in refused.value.text
        assert page.locator(".pagefind-ui__result-link").count() == 0


@pytest.mark.parametrize("preset", ["mobile", "desktop"])
def test_lighthouse_on_the_static_search_page(static_url, chromium, summary, preset):
    """Accessibility and best practices at 100; SEO loses only its noindex (on
    purpose); performance at least the suite's minimum: the preview server does
    not compress, and Pagefind's UI is 135 kB of script and style before gzip."""
    result = run_lighthouse(static_url + "/search?q=apache", preset, chromium)
    assert not result.get("runtimeError"), result.get("runtimeError")
    scores = {name: round(result["categories"][name]["score"] * 100) for name in CATEGORIES}
    summary("Lighthouse " + result["lighthouseVersion"],
            f"static search {preset:<8} " + "  ".join(f"{k} {v}" for k, v in scores.items())
            + "  (SEO: noindex on purpose)")
    lost = shortfalls(result)
    assert [audit.split(" ")[0] for audit in lost.pop("seo", [])] == ["is-crawlable"]
    assert scores["performance"] >= MINIMUM, lost
    lost.pop("performance", None)
    assert not lost, lost
