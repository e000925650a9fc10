"""The site in a real browser: clean loads, images, code, small screens,
footnotes, keyboard focus, dark theme, print, and no JavaScript needed."""
from urllib.parse import urlsplit

import pytest

POST = "/blog/self-hosting-a-blog-(part-1)"     # image, table, footnote, code
CODE_POST = "/blog/notes-on-readable-code-blocks"  # long lines, several languages
PAGES = {
    "home": "/",
    "blog": "/blog",
    "post": POST,
    "code-post": CODE_POST,
    "tag": "/blog/tag/web-development",
    "archive": "/blog/archive",
    "search": "/search?q=apache",
    "404": "/no/such/page",
}
PHONE = {"width": 375, "height": 740}


def expected_status(name):
    return 404 if name == "404" else 200


class Watch:
    """Everything a page did that a reader would call broken."""

    def __init__(self, page, site_url):
        self.site = urlsplit(site_url).netloc
        self.errors, self.failed, self.foreign = [], [], []
        self.page = page
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        page.on("response", self._response)
        page.on("request", self._request)

    def _console(self, message):
        if message.type != "error":
            return
        # The 404 page's own status is logged as an error; it is what we asked for.
        if message.location.get("url") == self.page.url and "404" in message.text:
            return
        self.errors.append(f"{message.text} ({message.location.get('url')})")

    def _request(self, request):
        if urlsplit(request.url).scheme not in ("data", "blob", "about"):
            if urlsplit(request.url).netloc != self.site:
                self.foreign.append(request.url)

    def _response(self, response):
        if response.status >= 400 and response.request.resource_type != "document":
            self.failed.append(f"{response.url}: HTTP {response.status}")


def open_page(new_page, site_url, path, **options):
    page = new_page(**options)
    watch = Watch(page, site_url)
    response = page.goto(site_url + path, wait_until="load")
    return page, watch, response


def srgb(css_colour):
    """``rgb(r, g, b)`` / ``rgba(...)`` as a tuple of three ints."""
    inside = css_colour[css_colour.index("(") + 1:css_colour.index(")")]
    return tuple(round(float(part)) for part in inside.replace("/", ",").split(",")[:3])


def contrast(a, b):
    def luminance(rgb):
        def channel(c):
            c /= 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        r, g, b = (channel(c) for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly(new_page, site_url, name, scheme):
    page, watch, response = open_page(new_page, site_url, PAGES[name], color_scheme=scheme)
    assert response.status == expected_status(name)
    page.wait_for_load_state("networkidle")
    assert watch.errors == [], "console errors"
    assert watch.failed == [], "failed requests"
    assert watch.foreign == [], "requests to other hosts"
    assert page.locator("main h1").count() == 1
    assert page.title().strip()


@pytest.mark.parametrize("name", PAGES)
def test_images_load_and_have_alt(new_page, site_url, name):
    page, watch, _ = open_page(new_page, site_url, PAGES[name])
    images = page.locator("img")
    for i in range(images.count()):
        image = images.nth(i)
        image.scroll_into_view_if_needed()
        src = image.get_attribute("src")
        assert image.get_attribute("alt") is not None, f"{src} has no alt"
        page.wait_for_function("img => img.complete", arg=image.element_handle())
        assert image.evaluate("img => img.naturalWidth") > 0, f"{src} did not load"
    assert watch.failed == []


def test_the_post_has_its_image(new_page, site_url):
    page, _, _ = open_page(new_page, site_url, POST)
    assert page.locator(".post-body img").count() >= 1


@pytest.mark.parametrize("name", PAGES)
def test_no_horizontal_scroll_on_a_phone(new_page, site_url, name):
    page, _, _ = open_page(new_page, site_url, PAGES[name], viewport=PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide on a {PHONE['width']}px screen"
    page.mouse.wheel(300, 0)
    assert page.evaluate("window.scrollX") == 0


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}], ids=["phone", "desktop"])
def test_long_code_lines_scroll_inside_their_block(new_page, site_url, viewport):
    page, _, _ = open_page(new_page, site_url, CODE_POST, viewport=viewport)
    blocks = page.locator(".highlight pre")
    wide = [blocks.nth(i) for i in range(blocks.count())
            if blocks.nth(i).evaluate("pre => pre.scrollWidth > pre.clientWidth")]
    assert wide, "the post's long lines should overflow their block"
    for pre in wide:
        assert pre.evaluate("pre => getComputedStyle(pre).overflowX") in ("auto", "scroll")
        assert pre.evaluate("pre => (pre.scrollLeft = 80, pre.scrollLeft)") > 0
        # Keyboard users can scroll it too.
        assert pre.get_attribute("tabindex") == "0"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_code_is_highlighted_in_both_schemes(new_page, site_url, scheme):
    page, _, _ = open_page(new_page, site_url, CODE_POST, color_scheme=scheme)
    page.emulate_media(color_scheme=scheme)
    found = page.evaluate("""() => [...document.querySelectorAll('.highlight pre')].map(pre => {
        const plain = getComputedStyle(pre);
        let bg = pre, bgColour = 'rgba(0, 0, 0, 0)';
        while (bg && (bgColour = getComputedStyle(bg).backgroundColor) === 'rgba(0, 0, 0, 0)') bg = bg.parentElement;
        return {plain: plain.color, background: bgColour,
                tokens: [...pre.querySelectorAll('span[class]')]
                    .filter(s => s.textContent.trim())
                    .map(s => [s.className, getComputedStyle(s).color, s.textContent])};
    })""")
    colours, highlighted = set(), 0
    for block in found:
        background = srgb(block["background"])
        coloured = [t for t in block["tokens"] if t[1] != block["plain"]]
        # A block in a language Pygments doesn't know has no tokens at all.
        assert coloured or not block["tokens"], f"plain tokens only: {block['tokens'][:5]}"
        highlighted += bool(coloured)
        colours.update(t[1] for t in coloured)
        for cls, colour, text in block["tokens"]:
            ratio = contrast(srgb(colour), background)
            assert ratio >= 4.5, f"{text!r} ({cls}) {colour} on {block['background']}: {ratio:.2f}"
        assert contrast(srgb(block["plain"]), background) >= 4.5
    assert highlighted >= 3, "the code post has blocks in several languages"
    assert len(colours) >= 4, f"only {colours} in {scheme}"


def test_dark_scheme_is_dark_and_light_is_light(new_page, site_url):
    looks = {}
    for scheme in ("light", "dark"):
        page, _, _ = open_page(new_page, site_url, POST, color_scheme=scheme)
        looks[scheme] = page.evaluate("""() => {
            const body = getComputedStyle(document.body);
            const code = getComputedStyle(document.querySelector('.highlight'));
            return [body.backgroundColor, body.color, code.backgroundColor];
        }""")
    for scheme, (background, text, code) in looks.items():
        assert contrast(srgb(text), srgb(background)) >= 7, scheme
    light_bg, dark_bg = srgb(looks["light"][0]), srgb(looks["dark"][0])
    assert sum(light_bg) > 600 and sum(dark_bg) < 150
    assert looks["light"][2] != looks["dark"][2], "code blocks should follow the scheme"


@pytest.mark.parametrize("path", [POST, "/blog/self-hosting-a-blog-(part-2)"])
def test_footnote_links_jump_and_come_back(new_page, site_url, path):
    # A short window, so that the reference and its note are never both on screen.
    page, _, _ = open_page(new_page, site_url, path, viewport={"width": 375, "height": 360})
    ref = page.locator("a.footnote-ref").first
    ref_id = ref.evaluate("a => a.closest('[id]').id")
    target = ref.get_attribute("href")
    assert target.startswith("#")
    ref.scroll_into_view_if_needed()
    before = page.evaluate("scrollY")
    ref.click()
    assert page.evaluate("location.hash") == target
    note = page.locator(f"[id='{target[1:]}']")
    assert page.evaluate("scrollY") > before, "the page should move down to the note"
    assert note.is_visible() and in_viewport(page, note)
    note.locator("a.footnote-backref").click()
    assert page.evaluate("location.hash") == f"#{ref_id}"
    assert in_viewport(page, ref)
    assert abs(page.evaluate("scrollY") - before) < 360, "back where the reader was"


def in_viewport(page, locator):
    return locator.evaluate("""el => { const r = el.getBoundingClientRect();
        return r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth; }""")


FOCUS_STYLE = """() => { const el = document.activeElement, s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return {tag: el.tagName, text: el.textContent.trim().slice(0, 40),
            outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
            shadow: s.boxShadow !== 'none', onScreen: r.width > 0 && r.height > 0
                && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth}; }"""


@pytest.mark.parametrize("name", ["home", "post", "404"])
def test_keyboard_focus_is_visible(new_page, site_url, name):
    page, _, _ = open_page(new_page, site_url, PAGES[name])
    seen = []
    for _ in range(6):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_STYLE)
        seen.append(focus["text"])
        assert focus["tag"] != "BODY", "Tab should reach the page's links"
        assert focus["outline"] or focus["shadow"], f"no visible focus on {focus}"
        assert focus["onScreen"], f"focused element is off screen: {focus}"
    assert seen[0] == "Skip to content"


def test_skip_link_moves_to_the_content(new_page, site_url):
    page, _, _ = open_page(new_page, site_url, POST)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


@pytest.mark.parametrize("name", PAGES)
def test_pages_work_without_javascript(new_page, site_url, name):
    page, _, response = open_page(new_page, site_url, PAGES[name], java_script_enabled=False)
    assert response.status == expected_status(name)
    assert page.locator("header nav a").count() >= 2
    assert page.locator("main h1").is_visible()
    assert len(page.locator("main").inner_text()) > 40


def test_post_has_tags_navigation_and_series(new_page, site_url):
    page, _, _ = open_page(new_page, site_url, POST)
    assert page.locator(".post-header .tags a.tag").count() >= 2
    assert page.locator(".post-nav a").count() == 2
    chip = page.locator(".post-header a.tag").first
    assert chip.evaluate("a => getComputedStyle(a).borderRadius") != "0px"


def test_printing_drops_the_navigation(new_page, site_url):
    page, _, _ = open_page(new_page, site_url, POST)
    page.emulate_media(media="print")
    for selector in (".site-header nav", ".post-nav", ".skip-link"):
        assert not page.locator(selector).first.is_visible(), selector
    assert page.locator(".post-body").is_visible()
    assert page.locator("main h1").is_visible()
