"""A tutorial post with four big PNG screenshots, as real posts carry them: its
layout in Chromium under the site's real Content-Security-Policy, and
Lighthouse (mobile) on it with the image pipeline off ("before") and on.

The screenshots are made here: Chromium captures of the sample site at
1600 px wide. Targets with the pipeline: performance at least 0.95, LCP at
most 2.5 s, CLS 0, and at most 35% of the bytes of the same post without it.
"""
import shutil
from urllib.request import urlopen

import pytest

from browser.site_server import ROOT, SAMPLE_POSTS, apache_csp, serve_sample_site, serve_site
from browser.test_lighthouse import run_lighthouse, shortfalls
from website import create_app

# (page, file name, device pixel ratio): whole pages; the post at 2x, as a
# laptop's retina screen captures it (a PNG of about 2 MB).
SHOTS = [("/", "home", 1), ("/blog/self-hosting-a-blog-(part-1)", "post", 2),
         ("/blog", "blog", 1), ("/blog/archive", "archive", 1)]
WIDTH = 1600
POST_SLUG = "deploying-with-screenshots"
POST = """\
---
title: Deploying the blog, in screenshots
date: 2026-01-20
tags: [deploy]
description: Four screenshots of the site, as a tutorial shows its steps.
---

The site, right after its first deploy: the home page lists the latest posts.

<img class="center-image" width="85%" src="/static/img/shots/home.png" alt="The home page: the site's title, the introduction and the latest posts">

A post page keeps its code blocks readable on every screen, with the table
of contents and the reading time at the top. Each post has its own address
under /blog, and the feed links to every one of them, so readers find new
posts in their feed reader without visiting the site.

![A post page with its highlighted code blocks](/static/img/shots/post.png)

The blog index pages through every post, ten at a time, with the tags of
the site listed first. Tags have their own pages and feeds too. Nothing here
needs a database: every page comes from the Markdown files in the posts
folder, read again whenever one of them changes.

<img class="center-image" width="70%" src="/static/img/shots/blog.png" alt="The blog index with its tag list">

And the archive, grouped by month, with one line per post. The archive is
the page to link to when someone asks what the site is about: it shows every
title at once, newest first.

![The archive: every post by month](/static/img/shots/archive.png)

That is the whole site. The next post covers the server itself.
"""


BIG_POST = """\
---
title: One big screenshot
date: 2026-01-21
---

A retina screenshot, straight from the screen.

![A long page captured at twice the pixels](/static/img/shots/big.png)
"""


def with_a_photo(path):
    """Paste a photo-like area (grainy colour gradients) into the screenshot at ``path``.

    Screens show photos; PNG compresses their grain poorly, which is what
    makes real screenshots weigh megabytes.
    """
    from PIL import Image, ImageFilter
    with Image.open(path) as shot:
        shot = shot.convert("RGB")
    width, height = shot.width * 3 // 4, min(shot.height // 2, 1400)
    channels = [Image.linear_gradient("L").resize((width, height)).rotate(angle, expand=False)
                for angle in (0, 90, 180)]
    photo = Image.merge("RGB", channels)
    grain = Image.merge("RGB", [Image.effect_noise((width, height), 60) for _ in range(3)])
    photo = Image.blend(photo, grain.filter(ImageFilter.GaussianBlur(1.5)), 0.12)
    shot.paste(photo, ((shot.width - width) // 2, 400))
    shot.save(path)


@pytest.fixture(scope="module")
def screenshot_site(tmp_path_factory, browser):
    """``(workdir, {name: bytes})``: posts + a static folder with the four PNGs."""
    work = tmp_path_factory.mktemp("screenshots")
    static = work / "static"
    shutil.copytree(ROOT / "static", static, ignore=shutil.ignore_patterns("_variants"))
    shots = static / "img" / "shots"
    shots.mkdir(parents=True)
    with serve_sample_site(work / "source") as url:
        for path, name, scale in SHOTS:
            context = browser.new_context(viewport={"width": WIDTH // scale, "height": 1000},
                                          device_scale_factor=scale)
            page = context.new_page()
            page.goto(url + path, wait_until="networkidle")
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
            context.close()
        # A retina capture of a long page: a PNG of megabytes.
        context = browser.new_context(viewport={"width": WIDTH, "height": 1000},
                                      device_scale_factor=2)
        page = context.new_page()
        page.goto(url + "/blog/notes-on-readable-code-blocks", wait_until="networkidle")
        page.screenshot(path=str(work / "big.png"), full_page=True)
        context.close()
    with_a_photo(work / "big.png")
    posts = work / "posts"
    shutil.copytree(SAMPLE_POSTS, posts)
    (posts / f"{POST_SLUG}.md").write_text(POST)
    (posts / "one-big-screenshot.md").write_text(BIG_POST)
    shutil.move(work / "big.png", shots / "big.png")
    sizes = {p.name: p.stat().st_size for p in sorted(shots.iterdir()) if p.name != "big.png"}
    return work, sizes


@pytest.fixture(scope="module")
def sites(screenshot_site):
    """``{"before": url, "after": url}``: the production app with the pipeline off and on."""
    work, _sizes = screenshot_site
    # As on a server after setup.sh or update.sh: the variants are made ahead.
    app = create_app({"POSTS_DIR": str(work / "posts")})
    app.static_folder = str(work / "static")
    made = app.test_cli_runner().invoke(args=["images"])
    assert made.exit_code == 0 and made.output.startswith("5 images ready"), made.output
    headers = [("Content-Security-Policy", apache_csp())]
    with serve_site(work / "posts", work / "static", headers, IMAGE_PIPELINE=False) as before, \
            serve_site(work / "posts", work / "static", headers) as after:
        for url in (before, after):     # each server has rendered the post once
            with urlopen(f"{url}/blog/{POST_SLUG}") as response:
                assert response.status == 200
        yield {"before": before, "after": after}


def test_the_screenshots_are_real_screenshots(screenshot_site, summary):
    work, sizes = screenshot_site
    from PIL import Image
    for name, size in sizes.items():
        with Image.open(work / "static" / "img" / "shots" / name) as image:
            assert image.format == "PNG" and image.width == WIDTH
        assert size > 50 * 1024, sizes
    assert sum(sizes.values()) > 900 * 1024, sizes
    summary("Images: test post", "screenshots (PNG, 1600 px wide): " + ", ".join(
        f"{name} {size / 1024:.0f} KB" for name, size in sizes.items()))


@pytest.mark.parametrize("viewport", [{"width": 412, "height": 823}, {"width": 1280, "height": 900}])
def test_layout_holds_under_the_real_csp(sites, new_page, viewport):
    page = new_page(viewport=viewport, device_scale_factor=1.75 if viewport["width"] < 500 else 1)
    blocked = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(f"{sites['after']}/blog/{POST_SLUG}", wait_until="networkidle")
    # Reserve-then-load: every image box has its final size before any image arrives.
    page.evaluate("""() => { window.__shifts = 0;
        new PerformanceObserver(list => { for (const e of list.getEntries())
            window.__shifts += e.value; }).observe({type: 'layout-shift', buffered: true}); }""")
    for _ in range(12):
        page.mouse.wheel(0, 700)
        page.wait_for_timeout(150)
    page.wait_for_load_state("networkidle")
    images = page.eval_on_selector_all(".post-body img", """imgs => imgs.map(img => ({
        src: img.currentSrc, complete: img.complete, natural: img.naturalWidth,
        w: img.getBoundingClientRect().width, h: img.getBoundingClientRect().height,
        attrW: +img.getAttribute('width'), attrH: +img.getAttribute('height'),
        column: img.closest('.post-body').getBoundingClientRect().width,
        cls: img.className}))""")
    assert len(images) == 4
    for image in images:
        assert image["complete"] and image["natural"] > 0, image
        assert image["src"].endswith(".avif"), image       # Chromium takes the best source
        assert abs(image["h"] - image["w"] * image["attrH"] / image["attrW"]) < 2, image
    home, post, blog, archive = images
    assert abs(home["w"] - 0.85 * home["column"]) < 2, home     # width="85%", kept by a class
    assert abs(blog["w"] - 0.70 * blog["column"]) < 2, blog
    assert abs(post["w"] - post["column"]) < 2, post
    assert blocked == []
    assert page.evaluate("window.__shifts") == 0


def lighthouse_figures(url, chromium):
    result = run_lighthouse(url, "mobile", chromium)
    assert not result.get("runtimeError"), result.get("runtimeError")
    audits = result["audits"]
    return {"performance": result["categories"]["performance"]["score"],
            "lcp": audits["largest-contentful-paint"]["numericValue"] / 1000,
            "cls": audits["cumulative-layout-shift"]["numericValue"],
            "bytes": audits["total-byte-weight"]["numericValue"],
            "accessibility": result["categories"]["accessibility"]["score"],
            "seo": result["categories"]["seo"]["score"],
            "lost": shortfalls(result).get("performance", []),
            "metrics": {name: audits[name]["numericValue"] for name in (
                "first-contentful-paint", "speed-index", "total-blocking-time",
                "largest-contentful-paint")}}


def test_lighthouse_targets_with_the_pipeline(sites, chromium, summary):
    path = f"/blog/{POST_SLUG}"
    before = lighthouse_figures(sites["before"] + path, chromium)
    after = lighthouse_figures(sites["after"] + path, chromium)
    ratio = after["bytes"] / before["bytes"]
    for name, figures in (("before (pipeline off)", before), ("after", after)):
        summary("Images: Lighthouse 12.2.3 mobile, post with four PNG screenshots",
                f"{name:<22} performance {figures['performance'] * 100:.0f}  "
                f"LCP {figures['lcp']:.2f} s  CLS {figures['cls']:.3f}  "
                f"total {figures['bytes'] / 1024:.0f} KB  "
                f"accessibility {figures['accessibility'] * 100:.0f}  seo {figures['seo'] * 100:.0f}")
        if figures["lost"]:
            summary("Images: Lighthouse 12.2.3 mobile, post with four PNG screenshots",
                    f"{'':<22} performance lost on: " + "; ".join(figures["lost"])
                    + "  (" + ", ".join(f"{k} {v / 1000:.2f} s" for k, v in figures["metrics"].items()
                                        if k != "total-blocking-time") + ")")
    summary("Images: Lighthouse 12.2.3 mobile, post with four PNG screenshots",
            f"bytes after / before: {ratio:.0%} (target at most 35%)")
    assert after["performance"] >= 0.95, after
    assert after["lcp"] <= 2.5, after
    assert after["cls"] == 0, after
    assert ratio <= 0.35, (before, after)


def test_a_phone_gets_a_small_avif_of_a_big_png(sites, screenshot_site, new_page, summary):
    work, _sizes = screenshot_site
    original = (work / "static" / "img" / "shots" / "big.png").stat().st_size
    assert original > 1.5 * 1024 * 1024
    page = new_page(viewport={"width": 412, "height": 823}, device_scale_factor=1.75,
                    is_mobile=True, has_touch=True)
    images = {}
    page.on("response", lambda r: images.__setitem__(r.url, len(r.body()))
            if r.request.resource_type == "image" else None)
    page.goto(f"{sites['after']}/blog/one-big-screenshot", wait_until="networkidle")
    current = page.eval_on_selector(".post-body img", "img => img.currentSrc")
    assert current.endswith("-800.avif")    # 372 CSS px at 1.75x: the 800 px variant
    sent = images[current]
    assert [url for url in images if url.endswith(".png")] == []
    summary("Images: test post", f"a {original / 1024:.0f} KB PNG screenshot "
            f"reaches a phone (412 px, 1.75x) as {current.rsplit('/', 1)[-1].split('-', 1)[1]} "
            f"of {sent / 1024:.0f} KB")
    assert sent < original / 10
