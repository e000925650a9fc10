"""``flask check``'s warnings for what readers can't see: alt text, vague links, heavy images."""
import os
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from test_checks import blog, problem_lines  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference" / "seed-how-i-built-this-website-part-4.md"


@pytest.fixture
def static(tmp_path):
    folder = tmp_path / "static"
    (folder / "img").mkdir(parents=True)
    Image.new("RGB", (64, 48), (10, 20, 30)).save(folder / "img" / "ok.png")
    return folder


def run(blog, static, text, **settings):  # noqa: F811
    blog.write("post.md", text)
    app = blog_app(blog, **settings)
    app.static_folder = str(static)
    result = app.test_cli_runner().invoke(args=["check"])
    return [line.split("post.md:", 1)[1] for line in problem_lines(result) if "post.md:" in line]


def blog_app(blog, **settings):  # noqa: F811
    from conftest import SITE_URL
    from website import create_app
    return create_app({"TESTING": True, "POSTS_DIR": str(blog.path), "SITE_URL": SITE_URL,
                       "POSTS_CHECK_INTERVAL": 0, "PAGES_DIR": str(blog.path.parent / "pages"),
                       **settings})


POST = """\
---
title: Images and links
date: 2024-02-01
---

![](/static/img/ok.png)

![A described image](/static/img/ok.png)

<img src="/static/img/ok.png">

<img src="/static/img/ok.png" alt="">

<img src='/static/img/ok.png' alt='   '>

See [here](https://example.org/docs), or [click here](/blog/good), [This](/blog/good).

A [Link](https://example.org/) and a [useful description](https://example.org/x).

<a href="https://example.org/raw">here</a> and [here!](https://example.org/y)

```html
<img src="/static/img/in-code.png"> [here](https://example.org/code)
```
"""


def test_alt_text_and_vague_links(blog, static):
    found = run(blog, static, POST)
    assert sorted(found) == sorted([
        "6: warning: image /static/img/ok.png has an empty alt text; describe it in "
        "![...](/static/img/ok.png)",
        "10: warning: image /static/img/ok.png has no alt text; describe it (alt=\"\" for a "
        "decorative image)",
        "16: warning: link text 'here' says nothing about where it goes (screen readers list "
        "links by their text alone); describe the target",
        "16: warning: link text 'click here' says nothing about where it goes (screen readers "
        "list links by their text alone); describe the target",
        "16: warning: link text 'This' says nothing about where it goes (screen readers list "
        "links by their text alone); describe the target",
        "18: warning: link text 'Link' says nothing about where it goes (screen readers list "
        "links by their text alone); describe the target",
        "20: warning: link text 'here' says nothing about where it goes (screen readers list "
        "links by their text alone); describe the target",
        "20: warning: link text 'here!' says nothing about where it goes (screen readers list "
        "links by their text alone); describe the target",
    ])


def test_warnings_do_not_fail_the_check(blog, static):
    blog.write("post.md", "---\ntitle: T\ndate: 2024-02-01\n---\n\nSee [here](https://x.org).\n")
    app = blog_app(blog)
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0 and "1 warning" in result.output


def write_gif(path, size):
    """An animated GIF of noise frames, about ``size`` bytes."""
    frames = [Image.frombytes("L", (200, 200), os.urandom(200 * 200)) for _ in range(
        max(2, size // 40000))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)


def test_heavy_images_the_pipeline_cannot_shrink(blog, static):
    write_gif(static / "img" / "big.gif", 700 * 1024)
    write_gif(static / "img" / "small.gif", 100 * 1024)
    big_png = static / "img" / "big.png"
    Image.frombytes("RGB", (800, 800), os.urandom(800 * 800 * 3)).save(big_png)
    assert big_png.stat().st_size > 500 * 1024
    (static / "img" / "big.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'>"
                                            + "<!-- padding -->" * 40000 + "</svg>")
    text = ("---\ntitle: Heavy\ndate: 2024-02-01\n---\n\n![Anim](/static/img/big.gif)\n\n"
            "![Small](/static/img/small.gif)\n\n![Photo](/static/img/big.png)\n\n"
            "![Drawing](/static/img/big.svg)\n")
    found = run(blog, static, text)
    assert len(found) == 2, found
    assert re.fullmatch(r"6: warning: image /static/img/big\.gif is \d+ KB and can't be made "
                        r"smaller here \(\.gif is sent as it is\); over 500 KB is slow on "
                        r"phones: convert it \(a video or WebP for an animation\)", found[0])
    assert found[1].startswith("12: warning: image /static/img/big.svg is ")
    # The threshold is a setting.
    assert len(run(blog, static, text, IMAGE_SIZE_WARNING=50 * 1024)) == 3
    assert run(blog, static, text, IMAGE_SIZE_WARNING=0) == []


@pytest.mark.skipif(not REFERENCE.is_file(), reason="reference post not found beside the checkout")
def test_the_reference_tutorial_gets_its_warnings(blog, static):
    shutil.copy(REFERENCE, blog.path / "post.md")
    app = blog_app(blog)
    app.static_folder = str(static)
    lines = [line.split("post.md:", 1)[1] for line in
             problem_lines(app.test_cli_runner().invoke(args=["check"])) if "post.md:" in line]
    warnings = [line for line in lines if ": warning: " in line]
    assert [w.split(":")[0] for w in warnings if "no alt text" in w] == ["18", "56", "92", "190"]
    assert [w.split(":")[0] for w in warnings if "link text 'here'" in w] == ["357"]
