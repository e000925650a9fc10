"""GitHub's extras in a real browser: alert callouts readable in both themes,
task lists as disabled checkboxes, strikethrough, all within the site's CSP."""
from pathlib import Path

import pytest

from browser.site_server import serve_sample_site
from browser.test_browser_pages import contrast, open_page, srgb
from browser.test_lighthouse import run_lighthouse, shortfalls

MARKDOWN = Path(__file__).resolve().parents[1] / "markdown"
SLUG = "github-extras"
KINDS = ["note", "tip", "important", "warning", "caution"]


def open_settled(new_page, site_url, path, **options):
    """``open_page``, then wait until the page's requests (the favicon too) are done,
    so that closing it never cuts a response short."""
    page, watch, response = open_page(new_page, site_url, path, **options)
    page.wait_for_load_state("networkidle")
    return page, watch, response


@pytest.fixture(scope="module")
def gfm_site(tmp_path_factory):
    """The sample site plus a post of alerts, task lists and strikethrough."""
    workdir = tmp_path_factory.mktemp("gfm-site")
    with serve_sample_site(workdir) as url:
        body = (MARKDOWN / "alerts.md").read_text() + "\n" + (MARKDOWN / "gfm-extras.md").read_text()
        (workdir / "posts" / f"{SLUG}.md").write_text(
            f"title: GitHub extras\ndate: 2024-01-01\ntags: markdown\n\n{body}", encoding="utf-8")
        yield url


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_alerts_are_titled_and_readable(new_page, gfm_site, scheme):
    page, watch, response = open_settled(new_page, gfm_site, f"/blog/{SLUG}", color_scheme=scheme)
    assert response.status == 200
    found = page.evaluate("""() => [...document.querySelectorAll('.admonition')].map(box => {
        let bg = box, colour = 'rgba(0, 0, 0, 0)';
        while (bg && (colour = getComputedStyle(bg).backgroundColor) === 'rgba(0, 0, 0, 0)') bg = bg.parentElement;
        const title = box.querySelector('.admonition-title'), text = box.querySelector('p:not(.admonition-title)');
        return {kind: box.className, background: colour, border: getComputedStyle(box).borderLeftColor,
                borderWidth: parseFloat(getComputedStyle(box).borderLeftWidth),
                title: title.textContent, titleColour: getComputedStyle(title).color,
                titleVisible: title.offsetHeight > 0, text: getComputedStyle(text).color};
    })""")
    assert [box["kind"] for box in found] == [f"admonition {kind}" for kind in KINDS]
    assert [box["title"] for box in found] == [kind.capitalize() for kind in KINDS]
    for box in found:
        background = srgb(box["background"])
        assert box["titleVisible"] and box["borderWidth"] >= 3
        assert contrast(srgb(box["titleColour"]), background) >= 4.5, box
        assert contrast(srgb(box["text"]), background) >= 4.5, box
        assert contrast(srgb(box["border"]), background) >= 3, box
    assert len({box["border"] for box in found}) == len(KINDS), "each kind has its colour"
    assert not watch.errors, watch.errors


def test_alert_colours_follow_the_scheme(new_page, gfm_site):
    colours = {}
    for scheme in ("light", "dark"):
        page, _, _ = open_settled(new_page, gfm_site, f"/blog/{SLUG}", color_scheme=scheme)
        colours[scheme] = page.evaluate(
            "() => [...document.querySelectorAll('.admonition-title')].map(t => getComputedStyle(t).color)")
    assert all(light != dark for light, dark in zip(colours["light"], colours["dark"]))


def test_task_lists_and_strikethrough(new_page, gfm_site):
    page, watch, _ = open_settled(new_page, gfm_site, f"/blog/{SLUG}")
    boxes = page.evaluate("""() => [...document.querySelectorAll('.task-list-item input')].map(box => {
        const item = box.closest('li'), list = item.parentElement;
        return {type: box.type, disabled: box.disabled, checked: box.checked,
                name: box.labels.length ? box.labels[0].textContent.trim() : '',
                marker: getComputedStyle(item).listStyleType,
                inside: box.getBoundingClientRect().left >= list.getBoundingClientRect().left};
    })""")
    assert [b["checked"] for b in boxes] == [True, False, False, False]
    assert all(b["type"] == "checkbox" and b["disabled"] for b in boxes)
    assert [b["name"] for b in boxes] == ["write the post", "proofread it", "twice", "publish"]
    assert all(b["marker"] == "none" and b["inside"] for b in boxes), boxes
    page.locator(".task-list-item input").first.click(force=True)
    assert page.locator(".task-list-item input").first.is_checked(), "readers can't untick them"
    strike = page.locator("del").first
    assert strike.inner_text() == "Struck through"
    assert "line-through" in strike.evaluate("d => getComputedStyle(d).textDecorationLine")
    assert page.locator('a[href="https://en.wikipedia.org/wiki/Markdown"]').count() == 1
    assert not watch.errors and not watch.failed, (watch.errors, watch.failed)


def test_lighthouse_finds_no_accessibility_or_practice_problem(gfm_site, chromium):
    # Performance depends on the machine's load; the page's own markup does not.
    result = run_lighthouse(f"{gfm_site}/blog/{SLUG}", "desktop", chromium)
    lost = shortfalls(result)
    assert "accessibility" not in lost and "best-practices" not in lost, lost
    assert result["categories"]["accessibility"]["score"] == 1
