"""The image pipeline: sizes, variants, lazy loading, caching, and where variants are made."""
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import feedparser
import pytest
from PIL import Image, ImageDraw, features

from website.content import images
from website.content.images import ImagePipeline

PNG_TEXT = "Lorem ipsum dolor sit amet, screenshots of a terminal and a browser window."


def screenshot(path, width=1800, height=1100, seed=1):
    """A PNG like a screen capture: flat areas, text-like lines, a few colours."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (width, height), (250, 250, 248))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 60), fill=(40, 44, 52))
    for row in range(90, height - 20, 22):
        indent = 40 + (row * seed) % 120
        draw.text((indent, row), PNG_TEXT[: 30 + (row * 7 * seed) % 45], fill=(30, 30, 30))
    draw.ellipse((width - 400, 200, width - 100, 500), fill=(200, 80, 60))
    image.save(path)
    return path


@pytest.fixture
def static(tmp_path):
    folder = tmp_path / "static"
    screenshot(folder / "img" / "shot.png")
    Image.new("RGB", (300, 200), (9, 90, 200)).save(folder / "img" / "small.jpg")
    Image.new("P", (40, 30)).save(folder / "img" / "anim.gif")
    (folder / "img" / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    return folder


def tags(html, name="img"):
    return re.findall(rf"<{name}\b[^>]*>", html)


def attrs(tag):
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))


def test_real_sizes_variants_and_fallback(static):
    pipeline = ImagePipeline(static)
    html, depends = pipeline.rewrite('<p>x</p><p><img src="/static/img/shot.png" alt="A shot"></p>')
    assert depends == [static / "img" / "shot.png"]
    (img,) = tags(html)
    assert attrs(img) == {"src": "/static/img/shot.png", "alt": "A shot", "width": "1800",
                          "height": "1100", "fetchpriority": "high", "decoding": "async"}
    sources = [attrs(tag) for tag in tags(html, "source")]
    assert [s["type"] for s in sources] == [images.MIME[f] for f in images.variant_formats()]
    for source in sources:
        listed = [item.split() for item in source["srcset"].split(", ")]
        assert [w for _url, w in listed] == ["480w", "800w", "1200w"]
        for url, width in listed:
            with Image.open(static / url[len("/static/"):]) as variant:
                assert variant.width == int(width[:-1])
                assert variant.format.lower() == source["type"].split("/")[1]
                # Same aspect ratio as the original.
                assert abs(variant.height / variant.width - 1100 / 1800) < 0.01
    assert html.index("<picture>") < html.index("<source") < html.index("<img") \
        < html.index("</picture>")


def test_avif_where_pillow_can():
    assert images.variant_formats() == (("avif", "webp") if features.check("avif") else ("webp",))


def test_never_upscaled(static):
    html, _ = ImagePipeline(static).rewrite('<img src="/static/img/small.jpg" alt="s">')
    for source in tags(html, "source"):
        assert attrs(source)["srcset"].endswith("-300.webp 300w") or \
            attrs(source)["srcset"].endswith("-300.avif 300w")
    assert not any(name.split("-")[1].split(".")[0] not in ("300",)
                   for name in os.listdir(static / "_variants"))


def test_svg_remote_gif_and_authors_own_srcset(static):
    pipeline = ImagePipeline(static)
    body = ('<p>' + "words " * 200 + '</p>'
            '<img src="/static/img/logo.svg" alt="logo">'
            '<img alt="r" src="https://example.net/a.png" />'
            '<img src="/static/img/anim.gif" alt="g">'
            '<img src="/static/img/shot.png" srcset="/static/img/shot.png 2x" alt="own">'
            '<picture><source srcset="/static/img/x.webp"><img src="/static/img/shot.png" alt="p"></picture>'
            '<img src="/static/img/missing.png" alt="m">')
    html, _ = pipeline.rewrite(body)
    assert '<img src="/static/img/logo.svg" alt="logo" loading="lazy">' in html
    assert '<img alt="r" src="https://example.net/a.png" loading="lazy" />' in html
    assert ('<img src="/static/img/anim.gif" alt="g" width="40" height="30" loading="lazy" '
            'decoding="async">') in html
    assert '<img src="/static/img/shot.png" srcset="/static/img/shot.png 2x" alt="own" loading="lazy">' in html
    assert '<img src="/static/img/shot.png" alt="p" loading="lazy"></picture>' in html
    assert '<img src="/static/img/missing.png" alt="m" loading="lazy">' in html
    assert html.count("<picture>") == 1       # only the author's own


def test_only_the_first_image_near_the_top_loads_first(static):
    pipeline = ImagePipeline(static)
    near = '<p>Short intro.</p><img src="/static/img/shot.png" alt="a"><img src="/static/img/small.jpg" alt="b">'
    html, _ = pipeline.rewrite(near)
    first, second = tags(html)
    assert "fetchpriority" in attrs(first) and "loading" not in attrs(first)
    assert attrs(second)["loading"] == "lazy" and "fetchpriority" not in attrs(second)
    far, _ = pipeline.rewrite("<p>" + "long text " * 100 + "</p>" + near)
    assert all(attrs(tag).get("loading") == "lazy" for tag in tags(far))


def test_author_widths(static):
    pipeline = ImagePipeline(static, sizes="(max-width: 44rem) calc(100vw - 2.5rem), 41.5rem")
    html, _ = pipeline.rewrite('<p>' + "x " * 400 + '</p><img src="/static/img/shot.png" '
                               'width="45%" class="center-image" alt="a">'
                               '<img src="/static/img/shot.png" width="300" alt="b">')
    percent, pixels = (attrs(tag) for tag in tags(html))
    assert percent["class"] == "center-image img-w45" and "style" not in percent
    assert (percent["width"], percent["height"]) == ("1800", "1100")
    assert (pixels["width"], pixels["height"]) == ("300", "183")
    sizes = [attrs(tag)["sizes"] for tag in tags(html, "source")]
    assert sizes[0] == "(max-width: 44rem) calc(calc(100vw - 2.5rem) * 0.45), calc(41.5rem * 0.45)"
    assert sizes[-1] == "300px"
    css = (Path(__file__).parent.parent / "static" / "css" / "site.css").read_text()
    assert ".img-w45 { width: 45%; }" in css


def test_processed_once_and_safe_to_delete(static, monkeypatch):
    ImagePipeline(static).rewrite('<img src="/static/img/shot.png" alt="a">')
    made = {p: p.stat().st_mtime_ns for p in (static / "_variants").iterdir()}
    saves = []
    monkeypatch.setattr(ImagePipeline, "_write_variant",
                        staticmethod(lambda *args: saves.append(args)))
    html, _ = ImagePipeline(static).rewrite('<img src="/static/img/shot.png" alt="a">')
    assert saves == [] and "<picture>" in html           # a new process: nothing encoded again
    assert {p: p.stat().st_mtime_ns for p in (static / "_variants").iterdir()} == made
    monkeypatch.undo()
    shutil.rmtree(static / "_variants")
    again, _ = ImagePipeline(static).rewrite('<img src="/static/img/shot.png" alt="a">')
    assert again == html and sorted(p.name for p in (static / "_variants").iterdir()) \
        == sorted(p.name for p in made)


def test_a_changed_image_gets_new_variants(static):
    pipeline = ImagePipeline(static)
    before, _ = pipeline.rewrite('<img src="/static/img/shot.png" alt="a">')
    screenshot(static / "img" / "shot.png", 1000, 500, seed=3)
    os.utime(static / "img" / "shot.png", ns=(1, 1))
    after, _ = pipeline.rewrite('<img src="/static/img/shot.png" alt="a">')
    assert 'width="1000" height="500"' in after and after != before
    assert "-1000.webp 1000w" in after


def test_concurrent_writers_never_show_half_a_file(static):
    """Many pipelines (threads, as processes would) make the same variants at once."""
    errors = []

    def work():
        try:
            ImagePipeline(static).rewrite('<img src="/static/img/shot.png" alt="a">')
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    seen_partial = []
    while any(t.is_alive() for t in threads):
        for path in (static / "_variants").glob("*") if (static / "_variants").exists() else []:
            if path.name.startswith("."):
                continue
            try:
                with Image.open(path) as image:
                    image.load()
            except FileNotFoundError:
                pass
            except Exception as exc:  # noqa: BLE001
                seen_partial.append((path.name, exc))
    for thread in threads:
        thread.join()
    assert not errors and not seen_partial
    assert not [p for p in (static / "_variants").iterdir() if p.name.startswith(".")]


def test_a_broken_or_hostile_file_is_served_as_written(static, caplog):
    (static / "img" / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (static / "img" / "fake.png").chmod(0o644)
    html, _ = ImagePipeline(static).rewrite(
        '<img src="/static/img/fake.png" alt="f"><img src="/static/../secret.png" alt="s">'
        '<img src="/static/%2e%2e/%2e%2e/etc/passwd.png" alt="t">')
    assert html == ('<img src="/static/img/fake.png" alt="f" fetchpriority="high">'
                    '<img src="/static/../secret.png" alt="s" loading="lazy">'
                    '<img src="/static/%2e%2e/%2e%2e/etc/passwd.png" alt="t" loading="lazy">')
    assert "fake.png can't be read" in caplog.text


def test_read_only_static_keeps_the_sizes(static, caplog, monkeypatch):
    def refuse(target, write):
        raise PermissionError(13, "Permission denied", str(target))
    monkeypatch.setattr(images, "_write_atomically", refuse)
    html, _ = ImagePipeline(static).rewrite('<img src="/static/img/shot.png" alt="a">')
    assert 'width="1800" height="1100"' in html and "<picture>" not in html
    assert "Can't make the resized copies" in caplog.text and "Permission denied" in caplog.text


def test_variants_inherit_the_folders_default_acl(static, tmp_path):
    """setup.sh gives Apache's user a default ACL on static/: new variants are readable."""
    if not shutil.which("setfacl"):
        pytest.fail("setfacl is missing: run tests/system-deps.sh")
    user = "nobody"
    done = subprocess.run(["setfacl", "-m", f"u:{user}:rx,d:u:{user}:rx", str(static)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"no ACLs on this file system: {done.stderr.strip()}")
    old = os.umask(0o022)
    try:
        ImagePipeline(static).rewrite('<img src="/static/img/shot.png" alt="a">')
    finally:
        os.umask(old)
    variant = next((static / "_variants").iterdir())
    for path, wanted in ((static / "_variants", "r-x"), (variant, "r")):
        acl = subprocess.run(["getfacl", "-p", str(path)], capture_output=True,
                             text=True, check=True).stdout
        line = next(l for l in acl.splitlines() if l.startswith(f"user:{user}:"))
        effective = line.split("#effective:")[-1].strip() if "#effective:" in line \
            else line.split(":")[2]
        assert effective.startswith(wanted), acl


# --- in the app -------------------------------------------------------------

IMAGE_POST = """\
---
title: Screenshots
date: 2026-01-05
---

A post with screenshots.

![The terminal](/static/img/shot.png)

Some text between them. <img src="/static/img/small.jpg" alt="Raw HTML" width="45%">
"""


@pytest.fixture
def image_app(make_app, posts_dir, static):
    (posts_dir / "screenshots.md").write_text(IMAGE_POST)
    app = make_app(posts_dir)
    app.static_folder = str(static)
    return app


def test_post_pages_serve_variants_and_feeds_plain_images(image_app, static):
    client = image_app.test_client()
    page = client.get("/blog/screenshots").text
    assert page.count("<picture>") == 2 and 'width="1800" height="1100"' in page
    for url in re.findall(r'(/static/_variants/[^ "]+)', page):
        with client.get(url) as response:
            assert response.status_code == 200
    feed = feedparser.parse(client.get("/feed.xml").data)
    entry = next(e for e in feed.entries if e.title == "Screenshots")
    content = entry.content[0].value
    assert '<img alt="The terminal" src="https://blog.example.com/static/img/shot.png"' in content
    assert "<picture" not in content and "_variants" not in content and "loading=" not in content


def test_rewritten_body_is_kept_with_the_post(image_app, static, monkeypatch):
    client = image_app.test_client()
    first = client.get("/blog/screenshots").text
    calls = []
    monkeypatch.setattr(ImagePipeline, "info", lambda *args: calls.append(args))
    assert client.get("/blog/screenshots").text == first
    assert calls == []              # production: no image is looked at again


def test_dev_server_picks_up_an_edited_image(make_app, posts_dir, static):
    (posts_dir / "screenshots.md").write_text(IMAGE_POST)
    app = make_app(posts_dir, DEBUG=True)
    app.static_folder = str(static)
    client = app.test_client()
    assert 'width="1800"' in client.get("/blog/screenshots").text
    screenshot(static / "img" / "shot.png", 900, 600)
    assert 'width="900" height="600"' in client.get("/blog/screenshots").text


def test_pipeline_switch(make_app, posts_dir, static):
    (posts_dir / "screenshots.md").write_text(IMAGE_POST)
    app = make_app(posts_dir, IMAGE_PIPELINE=False)
    page = app.test_client().get("/blog/screenshots").text
    assert "<picture>" not in page and '<img alt="The terminal" src="/static/img/shot.png">' in page


def test_images_command_makes_every_variant(image_app, static):
    result = image_app.test_cli_runner().invoke(args=["images"])
    assert result.exit_code == 0, result.output
    formats = " and ".join(f.upper() for f in images.variant_formats())
    assert result.output == f"2 images ready ({formats} variants in static/_variants)\n"
    per_format = len(images.variant_formats())
    assert len(list((static / "_variants").iterdir())) == per_format * (3 + 1)


def test_build_makes_and_ships_the_variants(image_app, static, tmp_path):
    from website.build.builder import build
    out = tmp_path / "out" / "build"
    report = build(image_app, out, jobs=1)
    assert not report.page_errors
    page = (out / "blog" / "screenshots.html").read_text()
    urls = re.findall(r'/static/(_variants/[^ "]+)', page)
    assert len(urls) == len(images.variant_formats()) * 4
    for relative in urls:
        assert (out / "static" / relative).read_bytes() == (static / relative).read_bytes()
