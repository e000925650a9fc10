"""Atom feeds: valid, absolute, published posts only, newest first, per tag too."""
import xml.etree.ElementTree as ET

import feedparser
import pytest

from conftest import SITE_URL

ATOM = "{http://www.w3.org/2005/Atom}"


def parse(response):
    assert response.status_code == 200
    assert response.content_type == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def public_posts(app):
    """The posts a reader sees, newest first, worked out from the collection itself."""
    with app.test_request_context():
        from website.web.public import public_posts as published
        return published()


def test_site_feed_is_valid_and_lists_published_posts_newest_first(app, client):
    feed = parse(client.get("/feed.xml"))
    expected = [f"{SITE_URL}/blog/{post.slug}" for post in public_posts(app)]
    assert expected                                  # the fixture posts include some
    assert [entry.link for entry in feed.entries] == expected
    assert [entry.id for entry in feed.entries] == expected
    assert feed.feed.title == app.config["SITE_TITLE"]
    assert feed.feed.author == app.config["AUTHOR"]
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"alternate": f"{SITE_URL}/", "self": f"{SITE_URL}/feed.xml"}


def test_drafts_and_future_posts_never_appear(make_app, posts_dir):
    for debug in (False, True):
        app = make_app(posts_dir, DEBUG=debug, SHOW_DRAFTS=True)
        text = app.test_client().get("/feed.xml").get_data(as_text=True)
        assert "/blog/draft" not in text and "/blog/future" not in text
        assert "/blog/bare_header" in text


def test_every_required_atom_element_is_there(client):
    root = ET.fromstring(client.get("/feed.xml").data)
    for name in ("id", "title", "updated", "author"):
        assert root.find(ATOM + name) is not None, name
    entries = root.findall(ATOM + "entry")
    assert entries
    for entry in entries:
        for name in ("id", "title", "updated", "published", "link"):
            assert entry.find(ATOM + name) is not None, name
    updated = [entry.find(ATOM + "updated").text for entry in entries]
    assert root.find(ATOM + "updated").text == max(updated)


def test_entries_carry_dates_summary_categories_and_author(client):
    feed = parse(client.get("/feed.xml"))
    entries = {entry.link.rsplit("/", 1)[1]: entry for entry in feed.entries}
    yaml_post = entries["yaml_front_matter"]
    assert yaml_post.published.startswith("2024-04-02T09:30:00")
    assert yaml_post.updated.startswith("2024-05-01")
    assert yaml_post.summary == "A description for link previews."
    assert [tag.term for tag in yaml_post.tags] == ["flask", "python"]
    assert entries["bare_header"].author == "Sam Writer"


def test_full_content_with_absolute_links(write_post, client):
    write_post("links.md", "title: Links\ndate: 2024-06-01\n\n"
               "A [post](/blog/bare_header), a [relative one](chosen-address), "
               "![img](/static/img/favicon.svg) and a note.[^1]\n\n[^1]: The note.\n")
    feed = parse(client.get("/feed.xml"))
    entry = next(e for e in feed.entries if e.link.endswith("/blog/links"))
    html = entry.content[0].value
    assert f'href="{SITE_URL}/blog/bare_header"' in html
    assert f'href="{SITE_URL}/blog/chosen-address"' in html
    assert f'src="{SITE_URL}/static/img/favicon.svg"' in html
    assert f'href="{SITE_URL}/blog/links#fn:1"' in html
    assert 'href="/' not in html and 'src="/' not in html


def test_summary_only_setting(make_app, posts_dir):
    client = make_app(posts_dir, FEED_FULL_CONTENT=False).test_client()
    feed = parse(client.get("/feed.xml"))
    assert all("content" not in entry for entry in feed.entries)
    assert all(entry.summary for entry in feed.entries)


def test_feed_length_setting(make_app, posts_dir):
    client = make_app(posts_dir, FEED_POSTS=2).test_client()
    feed = parse(client.get("/feed.xml"))
    assert [e.link.rsplit("/", 1)[1] for e in feed.entries] == ["yaml_front_matter",
                                                               "bare_header"]


def test_tag_feed(app, client):
    feed = parse(client.get("/blog/tag/flask/feed.xml"))
    expected = [f"{SITE_URL}/blog/{post.slug}" for post in public_posts(app)
                if "flask" in post.tags]
    assert [entry.link for entry in feed.entries] == expected
    assert "flask" in feed.feed.title
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == f"{SITE_URL}/blog/tag/flask/feed.xml"
    assert links["alternate"] == f"{SITE_URL}/blog/tag/flask"


def test_tag_feed_for_a_spaced_tag_and_redirect(client):
    feed = parse(client.get("/blog/tag/web-development/feed.xml"))
    assert {entry.link.rsplit("/", 1)[1] for entry in feed.entries} == {"bare_header",
                                                                       "chosen-address"}
    redirect = client.get("/blog/tag/Web%20Development/feed.xml")
    assert redirect.status_code == 301
    assert redirect.location.endswith("/blog/tag/web-development/feed.xml")


@pytest.mark.parametrize("tag", ["no-such-tag", "python-not"])
def test_unknown_tag_feed_is_404(client, tag):
    assert client.get(f"/blog/tag/{tag}/feed.xml").status_code == 404


def test_tag_of_drafts_only_has_no_feed(write_post, make_app, posts_dir):
    write_post("secret.md", "title: S\ndate: 2024-01-01\ndraft: true\ntags: secret\n\nB.\n")
    client = make_app(posts_dir, DEBUG=True).test_client()
    assert client.get("/blog/tag/secret").status_code == 200       # previewed page
    assert client.get("/blog/tag/secret/feed.xml").status_code == 404


def test_conditional_get(client):
    first = client.get("/feed.xml")
    again = client.get("/feed.xml", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_every_page_links_its_feeds(client):
    for path in ("/", "/blog", "/blog/bare_header", "/blog/archive", "/blog/tag/flask"):
        html = client.get(path).get_data(as_text=True)
        assert (f'<link rel="alternate" type="application/atom+xml" title="Jane Doe (all posts)" '
                f'href="{SITE_URL}/feed.xml">') in html, path
    tag_page = client.get("/blog/tag/flask").get_data(as_text=True)
    assert f'href="{SITE_URL}/blog/tag/flask/feed.xml"' in tag_page


HEADINGS = """---
title: Headings
date: 2026-01-05
---

## Tables need the same care

Text with [a link](/blog/bare_header "kept") and <a class="permalinks" href="#x">kept too</a>.

### A *styled* `heading`

More.
"""


def test_feed_entries_carry_no_heading_permalink_marks(make_app, posts_dir):
    (posts_dir / "headings.md").write_text(HEADINGS)
    app = make_app(posts_dir)
    page = app.test_client().get("/blog/headings").get_data(as_text=True)
    assert 'class="permalink"' in page            # the page keeps them
    feed = parse(app.test_client().get("/feed.xml"))
    entry = next(e for e in feed.entries if e.link.endswith("/blog/headings"))
    html = entry.content[0].value
    assert 'class="permalink"' not in html and "Link to this section" not in html
    root = ET.fromstring(f"<div>{html}</div>")
    headings = ["".join(h.itertext()) for h in root.iter() if h.tag in ("h2", "h3")]
    assert headings == ["Tables need the same care", "A styled heading"]
    assert root.find("h2").get("id") == "tables-need-the-same-care"   # anchors still work
    assert f'href="{SITE_URL}/blog/bare_header"' in html and ">kept too</a>" in html


@pytest.mark.parametrize("html, expected", [
    ('<h2 id="a">A<a class="permalink" href="#a" title="t">#</a></h2>', '<h2 id="a">A</h2>'),
    ("<h2>A<a title='t' class='x permalink y' href='#a'>&para;</a></h2>", "<h2>A</h2>"),
    ('<p><a class="permalinks" href="/">x</a></p>', '<p><a class="permalinks" href="/">x</a></p>'),
    ('<h2>A<a class="permalink"\nhref="#a">#</a></h2><p>b</p>', "<h2>A</h2><p>b</p>"),
])
def test_drop_links(html, expected):
    from website.content.html_links import drop_links
    assert drop_links(html, "permalink") == expected
