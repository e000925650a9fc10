"""Search through the real thing: Apache + mod_wsgi (2 processes x 8 threads,
the project's own site templates) and Chromium with JavaScript off, under the
site's strict Content-Security-Policy."""
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

import apache_server
from apache_server import DOMAIN, ApacheServer
from browser.site_server import CHROMIUM_FLAGS
from hostile_queries import FORBIDDEN, hostile_query_strings

RESULTS = re.compile(r'<ol class="post-list search-results">.*?</ol>', re.DOTALL)
NEW_POST = """---
title: Tuning the event MPM
date: 2026-01-03
tags: [apache]
---

How many workers the quokkaserver needs.
"""


@pytest.fixture(scope="module")
def apache_site():
    """An ApacheServer serving a copy of the project and its sample posts."""
    missing = apache_server.missing_tools()
    if missing:
        pytest.fail(f"needs {', '.join(missing)}: run tests/system-deps.sh (make test does)")
    venv = apache_server.apache_venv()
    base = Path(tempfile.mkdtemp(prefix="website-search-apache-"))
    base.chmod(0o755)   # the daemon may run as nobody
    try:
        project = apache_server.copy_project(base / "website")
        server = ApacheServer(base / "apache", project, venv).start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def chromium_for_apache(browser, chromium):
    """Chromium that finds the site's own host name on the local Apache (a
    second browser, from the session's Playwright)."""
    mapped = browser.browser_type.launch(
        executable_path=chromium,
        args=CHROMIUM_FLAGS + [f"--host-resolver-rules=MAP {DOMAIN} 127.0.0.1"])
    yield mapped
    mapped.close()


def test_search_without_javascript_through_apache(apache_site, chromium_for_apache):
    context = chromium_for_apache.new_context(java_script_enabled=False)
    page = context.new_page()
    console, responses = [], []
    page.on("console", lambda message: console.append(message.text))
    page.on("response", lambda response: responses.append(response))
    try:
        page.goto(f"http://{DOMAIN}:{apache_site.port}/")
        box = page.get_by_role("searchbox", name="Search posts")
        box.fill("apache")
        box.press("Enter")
        page.wait_for_url("**/search?q=apache")
        titles = page.locator(".search-results .post-card-title").all_inner_texts()
        assert "Self-hosting a blog, part 1: one small server" in titles
        assert page.locator(".search-results mark").count() >= 2
        assert page.locator("meta[name=robots]").get_attribute("content") == "noindex"
        [search] = [r for r in responses if "/search?" in r.url]
        assert search.status == 200
        headers = search.all_headers()
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-robots-tag"] == "noindex"
        assert [text for text in console if "Content Security Policy" in text] == []
    finally:
        context.close()
    assert apache_site.handler_of("/search?q=apache") == "wsgi-script"


def test_hostile_queries_through_apache(apache_site):
    statuses = {}
    for query in hostile_query_strings():
        response = apache_site.request("/search?" + query)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        # 414: a query string past Apache's own limit on a request line.
        assert response.status in (200, 400, 404, 414), (query[:200], response.status)
        lowered = RESULTS.sub("", response.text).lower()
        assert not [w for w in FORBIDDEN if w in lowered], (query[:200], response.text[:500])
    assert statuses[200] > 300, statuses
    assert "Traceback" not in apache_site.error_logs


def test_new_post_is_found_by_every_process(apache_site):
    """Each mod_wsgi process keeps its own index: all of them must see the post."""
    (apache_site.project / "posts" / "tuning-the-event-mpm.md").write_text(NEW_POST)
    deadline = time.monotonic() + 30
    in_a_row = 0
    while in_a_row < 20 and time.monotonic() < deadline:
        response = apache_site.request("/search?q=quokkaserver")
        in_a_row = in_a_row + 1 if "Tuning the event MPM" in response.text else 0
    assert in_a_row == 20, apache_site.error_logs[-2000:]
