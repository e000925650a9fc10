"""Head tags on every page type: title, description, canonical, Open Graph, Twitter, JSON-LD."""
import json
from html.parser import HTMLParser

import pytest

from conftest import SITE_URL


class Head(HTMLParser):
    """The <head> of a page: its title, meta and link tags, and JSON-LD blocks."""

    def __init__(self, html):
        super().__init__()
        self.title, self.meta, self.links, self.json_ld = "", {}, [], []
        self._in = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            key = attrs.get("property") or attrs.get("name")
            if key:
                self.meta.setdefault(key, []).append(attrs.get("content"))
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "title" or (tag == "script" and attrs.get("type") == "application/ld+json"):
            self._in = tag
            if tag == "script":
                self.json_ld.append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "script":
            self.json_ld[-1] += data

    def one(self, key):
        [value] = self.meta[key]
        return value

    def canonical(self):
        [link] = [link for link in self.links if link.get("rel") == "canonical"]
        return link["href"]


def head(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return Head(response.get_data(as_text=True))


PAGES = {
    "/": ("website", f"{SITE_URL}/"),
    "/blog": ("website", f"{SITE_URL}/blog"),
    "/blog/page/2": ("website", f"{SITE_URL}/blog/page/2"),
    "/blog/archive": ("website", f"{SITE_URL}/blog/archive"),
    "/blog/tag/flask": ("website", f"{SITE_URL}/blog/tag/flask"),
    "/blog/bare_header": ("article", f"{SITE_URL}/blog/bare_header"),
}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_type_has_the_basic_tags(make_app, posts_dir, path):
    client = make_app(posts_dir, POSTS_PER_PAGE=2).test_client()
    tags = head(client, path)
    og_type, url = PAGES[path]
    assert tags.title.strip()
    assert tags.one("description").strip()
    assert tags.canonical() == url
    assert tags.one("og:url") == url
    assert tags.one("og:type") == og_type
    assert tags.one("og:site_name") == "Jane Doe"
    assert tags.one("og:title").strip()
    assert tags.one("og:description") == tags.one("description")
    assert tags.one("twitter:card") in {"summary", "summary_large_image"}
    assert tags.one("twitter:title") == tags.one("og:title")


def test_post_page(client):
    tags = head(client, "/blog/bare_header")
    assert tags.title.startswith("A bare header: colons are fine")
    assert tags.one("og:title") == "A bare header: colons are fine"
    assert tags.one("description") == "Written with a bare header."
    assert tags.one("og:image") == f"{SITE_URL}/static/img/request-path.svg"
    assert tags.one("twitter:image") == tags.one("og:image")
    assert tags.one("twitter:card") == "summary_large_image"
    assert tags.one("article:published_time") == "2024-03-01T00:00:00+00:00"
    assert tags.meta["article:tag"] == ["aws", "flask", "web development"]
    [block] = tags.json_ld
    data = json.loads(block)
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == "A bare header: colons are fine"
    assert data["url"] == data["mainEntityOfPage"]["@id"] == f"{SITE_URL}/blog/bare_header"
    assert data["author"] == {"@type": "Person", "name": "Sam Writer"}
    assert data["datePublished"] == "2024-03-01T00:00:00+00:00"
    assert data["image"] == f"{SITE_URL}/static/img/request-path.svg"


def test_post_description_field_and_updated_time(client):
    tags = head(client, "/blog/yaml_front_matter")
    assert tags.one("description") == "A description for link previews."
    assert tags.one("article:modified_time") == "2024-05-01T00:00:00+00:00"
    assert "og:image" not in tags.meta
    assert tags.one("twitter:card") == "summary"
    data = json.loads(tags.json_ld[0])
    assert data["dateModified"] == "2024-05-01T00:00:00+00:00"
    assert data["isPartOf"]["name"] == "Testing series"


def test_json_ld_cannot_break_out_of_its_script(write_post, client):
    title = 'Evil </script><script>alert("x")</script> & <!-- more'
    write_post("evil.md", f"---\ntitle: {json.dumps(title)}\ndate: 2024-06-01\n---\n\nBody.\n")
    html = client.get("/blog/evil").get_data(as_text=True)
    start = html.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">')
    block = html[start:html.index("</script>", start)]
    assert "<" not in block and ">" not in block and "&" not in block
    assert json.loads(block)["headline"] == title
    assert html.count("<script") == 1


def test_home_has_website_json_ld(client):
    data = json.loads(head(client, "/").json_ld[0])
    assert data["@type"] == "WebSite" and data["url"] == f"{SITE_URL}/"


def test_tag_page_canonical_uses_the_tag_url(client):
    tags = head(client, "/blog/tag/web-development")
    assert tags.canonical() == f"{SITE_URL}/blog/tag/web-development"
    assert "web development" in tags.one("og:title")


def test_site_image_setting_is_the_default_preview(make_app, posts_dir):
    client = make_app(posts_dir, SITE_IMAGE="/static/img/favicon.svg",
                      TWITTER_SITE="@jane").test_client()
    tags = head(client, "/blog")
    assert tags.one("og:image") == f"{SITE_URL}/static/img/favicon.svg"
    assert tags.one("twitter:site") == "@jane"
    # a post's own image wins
    assert head(client, "/blog/bare_header").one("og:image").endswith("/request-path.svg")


def test_previewed_drafts_are_noindex(make_app, posts_dir):
    client = make_app(posts_dir, DEBUG=True).test_client()
    assert head(client, "/blog/draft").one("robots") == "noindex"
    assert "robots" not in head(client, "/blog/bare_header").meta
