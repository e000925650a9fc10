"""A broken post on the dev server, as the author sees it in Chromium."""
import pytest

from browser.site_server import serve_sample_site

BROKEN = """---
title: Half-written
date: 2026-02-30
tags: [drafts]
---

The date above doesn't exist.
"""


@pytest.fixture(scope="module")
def dev_site(tmp_path_factory):
    """(base URL, posts folder) of the sample site served in debug mode, with one broken post."""
    workdir = tmp_path_factory.mktemp("dev-site")
    with serve_sample_site(workdir, DEBUG=True) as url:
        (workdir / "posts" / "half-written.md").write_text(BROKEN)
        yield url


def test_broken_post_shows_its_error_in_the_browser(browser, dev_site):
    page = browser.new_page()
    response = page.goto(dev_site + "/blog/half-written")
    assert response.status == 500
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "This post can't be shown"
    problem = page.locator(".problems li").first
    assert problem.is_visible()
    text = problem.inner_text()
    assert "half-written.md:3" in text
    assert "date: '2026-02-30'" in text
    page.close()


def test_home_banner_links_to_the_error(browser, dev_site):
    page = browser.new_page()
    page.goto(dev_site + "/")
    banner = page.get_by_role("alert")
    assert banner.is_visible()
    assert "1 post could not be loaded" in banner.inner_text()
    banner.get_by_role("link").click()
    page.wait_for_url("**/blog/half-written")
    assert page.get_by_role("heading", level=1).inner_text() == "This post can't be shown"
    page.close()
