"""A post whose body can't be rendered breaks no page but its own, and check names it."""
import logging
import re
import textwrap

import pytest
from lxml import etree

from website.content import post as post_module
from website.content.errors import PostError, RenderError

GOOD = """\
title: Good
date: 2024-01-10
tags: flask

The good post's **body**.
"""
DEEP = "title: Deep\ndate: 2024-01-12\ntags: flask\nsummary: A list too deep to render.\n\n" + \
       "\n".join("  " * depth + "- level" for depth in range(400)) + "\n"
FAILING = """\
title: Failing
date: 2024-01-11
tags: flask

First paragraph of the failing post.

EXPLODE
"""
PAGES = ["/", "/blog", "/blog/tag/flask", "/blog/archive", "/feed.xml",
         "/blog/tag/flask/feed.xml", "/sitemap.xml", "/blog/good"]


@pytest.fixture
def blog(make_app, tmp_path, monkeypatch):
    """A good post, one nested 400 deep, one an extension fails on."""
    folder = tmp_path / "posts"
    folder.mkdir()
    for name, text in {"good.md": GOOD, "deep.md": DEEP, "failing.md": FAILING}.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    real_render = post_module.rendering.render

    def render(text):
        if "EXPLODE" in text:
            raise KeyError("an extension's bug")
        return real_render(text)
    monkeypatch.setattr(post_module.rendering, "render", render)
    return make_app(folder)


def test_render_error_is_a_post_error_naming_the_file():
    assert issubclass(RenderError, PostError)


@pytest.mark.parametrize("url", PAGES)
def test_every_other_page_still_answers(blog, url):
    response = blog.test_client().get(url)
    assert response.status_code == 200


def test_lists_show_the_broken_posts_with_their_summaries(blog):
    client = blog.test_client()
    for url in ("/", "/blog", "/blog/tag/flask"):
        html = client.get(url).get_data(as_text=True)
        assert 'href="/blog/deep"' in html and "A list too deep to render." in html
        assert 'href="/blog/failing"' in html and "First paragraph of the failing post." in html


@pytest.mark.parametrize("url", ["/feed.xml", "/blog/tag/flask/feed.xml"])
def test_feeds_carry_the_summary_instead_of_the_content(blog, url):
    xml = blog.test_client().get(url).get_data()
    atom = {"a": "http://www.w3.org/2005/Atom"}
    entries = {e.findtext("a:title", namespaces=atom): e
               for e in etree.fromstring(xml).findall("a:entry", atom)}
    assert set(entries) == {"Good", "Deep", "Failing"}
    assert "<strong>body</strong>" in entries["Good"].findtext("a:content", namespaces=atom)
    for title, summary in (("Deep", "A list too deep to render."),
                           ("Failing", "First paragraph of the failing post.")):
        assert entries[title].find("a:content", atom) is None
        assert entries[title].findtext("a:summary", namespaces=atom) == summary


@pytest.mark.parametrize("slug", ["deep", "failing"])
def test_the_post_itself_answers_500_in_the_layout(blog, slug):
    response = blog.test_client().get(f"/blog/{slug}")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert '<nav aria-label="' in html or "<nav" in html       # the site's layout
    assert "Traceback" not in html and "level" not in html


def test_each_broken_file_is_logged_once(blog, caplog):
    client = blog.test_client()
    with caplog.at_level(logging.DEBUG, logger="website"):
        for _ in range(3):
            for url in PAGES + ["/blog/deep", "/blog/failing"]:
                client.get(url)
    messages = [r.getMessage() for r in caplog.records if "Can't render post" in r.getMessage()]
    assert len(messages) == 2
    deep = next(m for m in messages if "deep.md" in m)
    assert re.search(r"deep\.md:\d+: can't be rendered: lists or block quotes are nested", deep)
    failing = next(m for m in messages if "failing.md" in m)
    assert "KeyError" in failing and "an extension's bug" in failing


def test_an_edited_post_is_tried_again(blog):
    client = blog.test_client()
    assert client.get("/blog/deep").status_code == 500
    path = blog.config["POSTS_DIR"] + "/deep.md"
    with open(path, "w", encoding="utf-8") as file:
        file.write("title: Deep\ndate: 2024-01-12\n\n- fixed\n  - now\n")
    assert client.get("/blog/deep").status_code == 200


def test_check_names_each_file_and_line_without_a_traceback(blog):
    result = blog.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    deep = [line for line in lines if "deep.md" in line]
    assert len(deep) == 1
    # The list starts on line 6; its 21st level (line 26) is one too many.
    assert re.fullmatch(r".*deep\.md:26: error: can't be rendered: lists or block quotes are "
                        r"nested more than 20 levels deep", deep[0])
    failing = [line for line in lines if "failing.md" in line]
    assert len(failing) == 1
    assert re.fullmatch(r".*failing\.md:5: error: can't be rendered: the Markdown renderer "
                        r"failed: KeyError: .*an extension's bug.*", failing[0])
    assert "Traceback" not in result.output
    assert lines[-1].startswith("3 posts checked: 2 errors")
