"""Search in a real browser, with JavaScript on and off: the header's box
leads to the results, with the matched words marked."""
import pytest

from browser.test_browser_pages import FOCUS_STYLE, PHONE, open_page
from browser.test_lighthouse import CATEGORIES, run_lighthouse, shortfalls

APACHE_POST = "Self-hosting a blog, part 1: one small server"


def search_from_header(page, words):
    box = page.get_by_role("searchbox", name="Search posts")
    box.fill(words)
    box.press("Enter")
    page.wait_for_url("**/search?q=*")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_typing_apache_in_the_header_lists_the_apache_posts(new_page, site_url, javascript):
    page, watch, _ = open_page(new_page, site_url, "/", java_script_enabled=javascript)
    search_from_header(page, "apache")
    assert page.url == site_url + "/search?q=apache"
    titles = page.locator(".search-results .post-card-title").all_inner_texts()
    assert APACHE_POST in titles
    assert "1 post found for apache" in page.locator("main .lede").inner_text()
    marks = page.locator(".search-results mark")
    assert marks.count() >= 2
    assert {text.lower() for text in marks.all_inner_texts()} == {"apache"}
    assert marks.first.is_visible()
    background = marks.first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    # The form on the results page holds the query, for another try.
    assert page.get_by_role("searchbox", name="Search posts").input_value() == "apache"
    assert watch.errors == [] and watch.failed == []


def test_search_page_form_searches_again_without_javascript(new_page, site_url):
    page, _, _ = open_page(new_page, site_url, "/search?q=apache", java_script_enabled=False)
    box = page.get_by_role("searchbox", name="Search posts")
    box.fill('"plain files"')
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=*plain*")
    assert "Why this blog is a folder of plain files" in page.locator(".search-results").inner_text()
    assert page.locator(".search-results mark").count() >= 1


def test_no_results_is_said_plainly(new_page, site_url):
    page, _, response = open_page(new_page, site_url, "/search?q=zyxwvut")
    assert response.status == 200
    assert page.locator(".search-results").count() == 0
    assert "No posts found for zyxwvut." in page.locator("main").inner_text()


def test_header_search_fits_a_phone_and_shows_focus(new_page, site_url):
    page, _, _ = open_page(new_page, site_url, "/", viewport=PHONE)
    form = page.locator("header .search-form")
    box = form.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for target in ("searchbox", "button"):
        page.get_by_role(target, name="Search posts" if target == "searchbox" else "Search").focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_STYLE)
        assert focus["outline"] or focus["shadow"], focus
        assert focus["onScreen"], focus
    # Tab from the last navigation link reaches the box, then the button.
    page.locator("header nav a").last.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"


@pytest.mark.parametrize("preset", ["mobile", "desktop"])
def test_lighthouse_on_the_results_page(site_url, chromium, summary, preset):
    """Every category at 100, but SEO: the page is noindex on purpose, and
    that must be the only audit it loses there."""
    result = run_lighthouse(site_url + "/search?q=apache", preset, chromium)
    assert not result.get("runtimeError"), result.get("runtimeError")
    scores = {name: round(result["categories"][name]["score"] * 100) for name in CATEGORIES}
    summary("Lighthouse " + result["lighthouseVersion"],
            f"search {preset:<8} " + "  ".join(f"{k} {v}" for k, v in scores.items())
            + "  (SEO: noindex on purpose)")
    lost = shortfalls(result)
    assert [audit.split(" ")[0] for audit in lost.pop("seo", [])] == ["is-crawlable"]
    assert not lost, lost
