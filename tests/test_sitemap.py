"""``/sitemap.xml`` holds exactly the public pages; ``/robots.txt`` points to it."""
import datetime as dt
import xml.etree.ElementTree as ET

from conftest import SITE_URL

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def sitemap(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.content_type == "application/xml; charset=utf-8"
    root = ET.fromstring(response.data)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    return {url.find("s:loc", NS).text: url.find("s:lastmod", NS).text
            for url in root.findall("s:url", NS)}


def test_exactly_the_public_pages(client):
    pages = sitemap(client)
    posts = ["yaml_front_matter", "bare_header", "slug-with-(parens)", "chosen-address"]
    tags = ["aws", "flask", "python", "web-development"]
    expected = ({f"{SITE_URL}/", f"{SITE_URL}/blog", f"{SITE_URL}/blog/archive"}
                | {f"{SITE_URL}/blog/{slug}" for slug in posts}
                | {f"{SITE_URL}/blog/tag/{tag}" for tag in tags})
    assert set(pages) == expected
    for url in pages:
        path = url[len(SITE_URL):]
        assert client.get(path).status_code == 200, path


def test_lastmod_is_the_post_update(client):
    pages = sitemap(client)
    assert pages[f"{SITE_URL}/blog/yaml_front_matter"] == "2024-05-01T00:00:00+00:00"
    assert pages[f"{SITE_URL}/blog/bare_header"] == "2024-03-01T00:00:00+00:00"
    assert pages[f"{SITE_URL}/"] == max(pages.values())
    assert pages[f"{SITE_URL}/blog/tag/aws"] == "2024-03-01T00:00:00+00:00"
    for value in pages.values():
        dt.datetime.fromisoformat(value)


def test_pagination_pages_are_listed(make_app, posts_dir):
    client = make_app(posts_dir, POSTS_PER_PAGE=1).test_client()
    pages = sitemap(client)
    listed = sorted(url for url in pages if "/blog/page/" in url)
    assert listed == [f"{SITE_URL}/blog/page/{n}" for n in (2, 3, 4)]
    assert client.get("/blog/page/4").status_code == 200
    assert client.get("/blog/page/5").status_code == 404


def test_drafts_and_future_posts_never_appear(write_post, make_app, posts_dir):
    write_post("secret.md", "title: S\ndate: 2024-01-01\ndraft: true\ntags: secret\n\nB.\n")
    for settings in ({}, {"DEBUG": True}, {"SHOW_DRAFTS": True}):
        pages = sitemap(make_app(posts_dir, **settings).test_client())
        assert not any(name in url for url in pages
                       for name in ("/blog/draft", "/blog/future", "/blog/secret", "secret"))


def test_robots_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.content_type == "text/plain; charset=utf-8"
    lines = response.get_data(as_text=True).splitlines()
    assert "User-agent: *" in lines
    assert f"Sitemap: {SITE_URL}/sitemap.xml" in lines
