"""Standalone pages: addresses, fields, navigation, errors, sitemap, build, check, new-page."""
import re
import xml.etree.ElementTree as ET

import pytest

from website.content.collection import PageCollection
from website.content.page import Page, page_slug

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def pages_dir(posts_dir):
    """The pages folder of the ``app`` fixture (beside its posts)."""
    folder = posts_dir.parent / "pages"
    folder.mkdir()
    return folder


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def nav_labels(html):
    nav = html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)


def test_page_slugs_follow_folders(tmp_path):
    assert page_slug(tmp_path / "about.md", tmp_path) == "about"
    assert page_slug(tmp_path / "projects" / "foo.md", tmp_path) == "projects/foo"
    assert page_slug(tmp_path / "projects" / "index.md", tmp_path) == "projects"
    assert page_slug(tmp_path / "index.md", tmp_path) == "index"


def test_both_header_styles_and_nested_urls(app, client, pages_dir):
    write(pages_dir, "about.md", "---\ntitle: About me\ndescription: Who I am.\n---\n\nHello *there*.\n")
    write(pages_dir, "projects/foo.md", "Title: Foo project\n\nA bare header.\n")
    write(pages_dir, "projects/index.md", "title: Projects\n\nAll of them.\n")
    about = client.get("/about")
    assert about.status_code == 200
    assert "<h1>About me</h1>" in about.text and "<em>there</em>" in about.text
    assert '<meta name="description" content="Who I am.">' in about.text
    assert '<link rel="canonical" href="https://blog.example.com/about">' in about.text
    assert '"@type":"WebPage"' in about.text
    foo = client.get("/projects/foo")
    assert foo.status_code == 200 and "A bare header." in foo.text
    assert "All of them." in client.get("/projects").text
    assert client.get("/projects/nothing").status_code == 404


def test_pages_stay_out_of_blog_feeds_tags_and_archive(app, client, pages_dir):
    write(pages_dir, "about.md", "---\ntitle: Unique About Title\ntags: [python]\n---\n\nText.\n")
    for url in ("/", "/blog", "/feed.xml", "/blog/archive", "/blog/tag/python"):
        assert "Unique About Title" not in client.get(url).text, url


def test_title_required_date_not(app, client, pages_dir, caplog):
    write(pages_dir, "notitle.md", "---\ndescription: x\n---\n\nText.\n")
    write(pages_dir, "dated.md", "---\ntitle: Has a date\ndate: not a date at all\n---\n\nOk.\n")
    assert client.get("/notitle").status_code == 404
    assert client.get("/dated").status_code == 200   # unknown to pages: kept as written
    assert any("notitle.md:1: title: required field 'title' is missing" in r.getMessage()
               for r in caplog.records)


def test_a_bad_page_never_takes_the_site_down(app, client, pages_dir, caplog):
    write(pages_dir, "broken.md", "---\ntitle: [unclosed\n---\n\nText.\n")
    write(pages_dir, "fine.md", "---\ntitle: Fine\n---\n\nText.\n")
    assert client.get("/fine").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/broken").status_code == 404
    client.get("/fine")
    logged = [r for r in caplog.records if "broken.md" in r.getMessage()]
    assert len(logged) == 1     # logged once per version of the file


def test_edits_are_picked_up(app, client, pages_dir):
    path = write(pages_dir, "now.md", "---\ntitle: Now\n---\n\nFirst version.\n")
    assert "First version." in client.get("/now").text
    path.write_text("---\ntitle: Now\n---\n\nSecond version, longer.\n")
    assert "Second version" in client.get("/now").text
    path.unlink()
    assert client.get("/now").status_code == 404


def test_drafts_only_in_preview(make_app, posts_dir, pages_dir):
    write(pages_dir, "wip.md", "---\ntitle: WIP\ndraft: true\nnav: WIP\n---\n\nSoon.\n")
    app = make_app(posts_dir)
    assert app.test_client().get("/wip").status_code == 404
    assert ("/wip", "WIP") not in nav_labels(app.test_client().get("/").text)
    preview = make_app(posts_dir, SHOW_DRAFTS=True).test_client().get("/wip")
    assert preview.status_code == 200 and "Draft" in preview.text
    assert ("/wip", "WIP") in nav_labels(preview.text)
    assert '<meta name="robots" content="noindex">' in preview.text


def test_navigation_after_nav_links_by_order(make_app, posts_dir, pages_dir):
    write(pages_dir, "cv.md", "---\ntitle: CV\nnav: CV\nnav_order: 2\n---\n\nx\n")
    write(pages_dir, "about.md", "---\ntitle: About\nnav: About me\nnav_order: 1\n---\n\nx\n")
    write(pages_dir, "hidden.md", "---\ntitle: Hidden\n---\n\nNot in the navigation.\n")
    write(pages_dir, "blog2.md", "---\ntitle: Listed\nnav: Ignored label\n---\n\nx\n")
    app = make_app(posts_dir, NAV_LINKS=[("Home", "/"), ("Writing", "/blog2")])
    html = app.test_client().get("/cv").text
    assert nav_labels(html) == [("/", "Home"), ("/blog2", "Writing"),
                                ("/about", "About me"), ("/cv", "CV")]
    assert '<a href="/cv" aria-current="page">CV</a>' in html


def test_bad_nav_order_names_file_line_field(tmp_path):
    write(tmp_path, "a.md", "---\ntitle: A\nnav: A\nnav_order: first\n---\n\nx\n")
    pages = PageCollection(tmp_path)
    pages.refresh(log=False)
    (error,) = pages.errors
    assert (error.line, error.field) == (4, "nav_order")
    assert "whole number" in error.message


def test_template_field_picks_a_template(make_app, posts_dir, pages_dir, tmp_path):
    write(pages_dir, "wide.md", "---\ntitle: Wide\ntemplate: 404.html\n---\n\nx\n")
    write(pages_dir, "missing.md", "---\ntitle: Missing\n\ntemplate: nope.html\n---\n\nx\n")
    app = make_app(posts_dir)
    client = app.test_client()
    assert "Page not found" in client.get("/wide").text     # rendered with the other template
    assert client.get("/missing").status_code == 404        # an error of the page, not a 500
    runner = app.test_cli_runner()
    result = runner.invoke(args=["check"])
    assert "missing.md:4: error: template: there is no template 'nope.html' in templates/" \
        in result.output
    assert result.exit_code == 1


def test_a_page_under_a_route_never_shadows_it(app, client, pages_dir):
    for name in ("blog.md", "feed.xml.md", "static.md", "blog/new.md", "sitemap.xml.md",
                 "robots.txt.md", "code.css.md"):
        write(pages_dir, name, "---\ntitle: Shadow\n---\n\nShadow page.\n")
    write(pages_dir, "ok.md", "---\ntitle: Ok\n---\n\nFine.\n")
    assert "Shadow page." not in client.get("/blog").text
    assert client.get("/feed.xml").content_type.startswith("application/atom+xml")
    for url in ("/static", "/blog/new"):
        assert client.get(url).status_code == 404
    result = app.test_cli_runner().invoke(args=["check"])
    for name in ("blog.md", "feed.xml.md", "static.md", "new.md", "sitemap.xml.md",
                 "robots.txt.md", "code.css.md"):
        assert re.search(rf"{re.escape(name)}: error: its address /\S+ belongs to the site",
                         result.output), (name, result.output)
    assert "ok.md" not in result.output
    assert result.exit_code == 1
    sitemap = client.get("/sitemap.xml").text
    assert "/ok</loc>" in sitemap and "/static</loc>" not in sitemap


def test_check_reports_broken_links_in_pages(app, pages_dir, posts_dir):
    write(pages_dir, "links.md", "---\ntitle: Links\n---\n\n"
          "[fine](/blog/bare_header) and [gone](/blog/no-such-post)\n\n"
          "[other page](/cv) [sibling](cv) ![pic](/static/nope.png)\n\n"
          "[tag](/blog/tag/nosuchtag)\n")
    result = app.test_cli_runner().invoke(args=["check"])
    out = result.output
    assert "links.md:5: error: link to /blog/no-such-post: there is no post with slug" in out
    assert "links.md:7: error: link to /cv: there is no page at /cv" in out
    assert "links.md:7: error: link to cv: there is no page at /cv" in out
    assert "links.md:7: error: image to /static/nope.png: static/nope.png does not exist" in out
    assert "links.md:9: error: link to /blog/tag/nosuchtag" in out
    assert "bare_header" not in out
    write(pages_dir, "cv.md", "---\ntitle: CV\n---\n\nx\n")
    out = app.test_cli_runner().invoke(args=["check"]).output
    assert "/cv" not in out


def test_sitemap_lists_public_pages(app, client, pages_dir):
    write(pages_dir, "about.md", "---\ntitle: About\nupdated: 2026-03-04\n---\n\nx\n")
    write(pages_dir, "draft.md", "---\ntitle: D\ndraft: true\n---\n\nx\n")
    root = ET.fromstring(client.get("/sitemap.xml").data)
    entries = {u.find("s:loc", NS).text: u.find("s:lastmod", NS).text
               for u in root.findall("s:url", NS)}
    assert entries["https://blog.example.com/about"].startswith("2026-03-04T00:00:00")
    assert "https://blog.example.com/draft" not in entries


def test_pages_are_in_the_build(make_app, posts_dir, pages_dir, tmp_path):
    from website.build.builder import build
    write(pages_dir, "about.md", "---\ntitle: About\nnav: About\n---\n\nBuilt about.\n")
    write(pages_dir, "projects/foo.md", "---\ntitle: Foo\n---\n\nBuilt foo.\n")
    app = make_app(posts_dir)
    out = tmp_path / "out" / "build"
    report = build(app, out, jobs=1)
    assert not report.page_errors
    assert "Built about." in (out / "about.html").read_text()
    assert "Built foo." in (out / "projects" / "foo.html").read_text()
    assert '<a href="/about">About</a>' in (out / "index.html").read_text()
    # An edit to a page's nav label rebuilds every page (they all show the header).
    write(pages_dir, "about.md", "---\ntitle: About\nnav: About me\n---\n\nBuilt about.\n")
    build(app, out, jobs=1)
    assert '<a href="/about">About me</a>' in (out / "blog.html").read_text()


def test_new_page_creates_a_page_in_the_navigation(app, pages_dir):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["new-page", "About"])
    assert result.exit_code == 0, result.output
    path = pages_dir / "about.md"
    assert result.output.strip().endswith("about.md") and path.exists()
    assert ("/about", "About") in nav_labels(app.test_client().get("/").text)
    again = runner.invoke(args=["new-page", "About"])
    assert again.exit_code == 1 and "already used" in again.output
    second = runner.invoke(args=["new-page", "Ça va? CV", "--slug", "me/cv"])
    assert second.exit_code == 0
    text = (pages_dir / "me" / "cv.md").read_text()
    assert 'title: "Ça va? CV"' in text and "nav_order: 2" in text
    for bad in (["new-page", "Feed", "--slug", "feed.xml"], ["new-page", "B", "--slug", "blog/x"],
                ["new-page", "X", "--slug", "../x"], ["new-page", "   "]):
        result = runner.invoke(args=bad)
        assert result.exit_code == 2, (bad, result.output)
    hidden = runner.invoke(args=["new-page", "Colophon", "--no-nav"])
    assert "nav:" not in (pages_dir / "colophon.md").read_text() and hidden.exit_code == 0
    assert Page.from_file(pages_dir / "colophon.md", root=pages_dir).title == "Colophon"


def test_sample_about_page(sample_app):
    client = sample_app.test_client()
    about = client.get("/about")
    assert about.status_code == 200
    assert ("/about", "About") in nav_labels(client.get("/blog").text)
    result = sample_app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0 and "1 page checked" in result.output


def test_dev_server_shows_a_broken_page_at_its_address(make_app, posts_dir, pages_dir):
    write(pages_dir, "projects/bad.md", "---\ntitle: Bad\nnav_order: soon\n---\n\nx\n")
    debug = make_app(posts_dir, DEBUG=True).test_client().get("/projects/bad")
    assert debug.status_code == 500
    assert "This page can't be shown" in debug.text
    assert "bad.md:3" in debug.text and "nav_order: must be a whole number" in debug.text
    assert make_app(posts_dir).test_client().get("/projects/bad").status_code == 404
