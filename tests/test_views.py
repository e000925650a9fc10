"""Every page with its status code, visibility rules, pagination and freshness."""
import datetime as dt
import os
import re
import time

import pytest

PUBLIC = ["yaml_front_matter", "bare_header", "slug-with-(parens)", "chosen-address"]


def titles(html):
    return re.findall(r'class="post-card-title"><a href="/blog/([^"]+)"', html)


@pytest.mark.parametrize("url, status", [
    ("/", 200),
    ("/blog", 200),
    ("/blog/bare_header", 200),
    ("/blog/slug-with-(parens)", 200),
    ("/blog/slug-with-%28parens%29", 200),
    ("/blog/chosen-address", 200),
    ("/blog/custom_slug", 404),
    ("/blog/tag/flask", 200),
    ("/blog/tag/web-development", 200),
    ("/blog/tag/no-such-tag", 404),
    ("/blog/no-such-post", 404),
    ("/blog/draft", 404),
    ("/blog/future", 404),
    ("/code.css", 200),
    ("/static/css/site.css", 200),
])
def test_routes(client, url, status):
    response = client.get(url)
    response.close()   # static files are streamed from an open file
    assert response.status_code == status


def test_blog_lists_public_posts_newest_first_with_tags(client):
    html = client.get("/blog").get_data(as_text=True)
    assert titles(html) == PUBLIC
    assert "Written with a bare header." in html
    assert 'href="/blog/tag/web-development"' in html
    # tag counts: flask is on yaml_front_matter, bare_header and slug-with-(parens)
    assert re.search(r'href="/blog/tag/flask">flask <span class="count">3</span>', html)


def test_post_page(client):
    html = client.get("/blog/yaml_front_matter").get_data(as_text=True)
    assert "<h1>YAML front matter</h1>" in html
    assert '<time datetime="2024-04-02T09:30:00">2 April 2024</time>' in html
    assert 'Updated <time datetime="2024-05-01">1 May 2024</time>' in html
    assert "1 min read" in html
    assert 'href="/blog/tag/python"' in html
    assert "<strong>bold</strong>" in html
    # neighbours by date: bare_header is older; nothing public is newer
    assert 'rel="prev" href="/blog/bare_header"' in html
    assert 'rel="next"' not in html


def test_home_shows_intro_and_latest(make_app, posts_dir):
    app = make_app(posts_dir, HOME_POSTS=2, SITE_INTRO="Hello from *the intro*.")
    html = app.test_client().get("/").get_data(as_text=True)
    assert "Hello from <em>the intro</em>." in html
    assert titles(html) == PUBLIC[:2]


def test_tag_page_shows_name_as_written_and_its_posts(client):
    html = client.get("/blog/tag/web-development").get_data(as_text=True)
    # shown as first written (by the newest post), whatever the other spellings
    assert 'Posts tagged <span class="tag-name">web development</span>' in html
    assert titles(html) == ["bare_header", "chosen-address"]


@pytest.mark.parametrize("url, target", [
    ("/blog/tag/web development", "/blog/tag/web-development"),
    ("/blog/tag/Web Development", "/blog/tag/web-development"),
    ("/blog/tag/Flask", "/blog/tag/flask"),
    ("/blog/page/1", "/blog"),
    ("/blog/", "/blog"),
])
def test_redirects(client, url, target):
    response = client.get(url)
    assert response.status_code == 301
    assert response.headers["Location"] == target


@pytest.mark.parametrize("url, status, expected", [
    ("/blog", 200, PUBLIC[:2]),
    ("/blog/page/2", 200, PUBLIC[2:]),
    ("/blog/page/3", 404, None),
    ("/blog/page/0", 404, None),
])
def test_pagination(make_app, posts_dir, url, status, expected):
    client = make_app(posts_dir, POSTS_PER_PAGE=2).test_client()
    response = client.get(url)
    assert response.status_code == status
    if expected:
        html = response.get_data(as_text=True)
        assert titles(html) == expected
        assert "Page " in html


def test_pagination_links(make_app, posts_dir):
    client = make_app(posts_dir, POSTS_PER_PAGE=2).test_client()
    assert 'rel="next" href="/blog/page/2"' in client.get("/blog").get_data(as_text=True)
    assert 'rel="prev" href="/blog"' in client.get("/blog/page/2").get_data(as_text=True)


@pytest.mark.parametrize("url, target", [
    ("/blog/page/02", "/blog/page/2"),
    ("/blog/page/0002", "/blog/page/2"),
    ("/blog/page/01", "/blog"),
    ("/blog/tag/flask/page/1", "/blog/tag/flask"),
    ("/blog/tag/flask/page/01", "/blog/tag/flask"),
    ("/blog/tag/flask/page/02", "/blog/tag/flask/page/2"),
    ("/blog/tag/Flask/page/2", "/blog/tag/flask/page/2"),
])
def test_page_numbers_written_another_way_redirect(make_app, posts_dir, url, target):
    client = make_app(posts_dir, POSTS_PER_PAGE=2).test_client()
    response = client.get(url)
    if url.endswith("/01"):
        # The router itself drops page 1's number, with its own permanent redirect.
        assert response.status_code == 308
        assert response.headers["Location"] == "http://localhost" + target
    else:
        assert response.status_code == 301
        assert response.headers["Location"] == target
    assert client.get(target).status_code == 200


@pytest.mark.parametrize("url", ["/blog/page/03", "/blog/page/00", "/blog/page/-1",
                                 "/blog/page/2.0", "/blog/page/%202", "/blog/tag/flask/page/3",
                                 "/blog/tag/flask/page/0", "/blog/tag/python/page/2"])
def test_other_page_numbers_are_not_found(make_app, posts_dir, url):
    client = make_app(posts_dir, POSTS_PER_PAGE=2).test_client()
    assert client.get(url).status_code == 404


def test_tag_pages_are_paginated_like_the_blog(make_app, posts_dir):
    client = make_app(posts_dir, POSTS_PER_PAGE=2).test_client()
    first = client.get("/blog/tag/flask").get_data(as_text=True)
    second = client.get("/blog/tag/flask/page/2").get_data(as_text=True)
    flask_posts = ["yaml_front_matter", "bare_header", "slug-with-(parens)"]
    assert titles(first) == flask_posts[:2] and titles(second) == flask_posts[2:]
    assert "3 posts, page 1 of 2" in first and "3 posts, page 2 of 2" in second
    assert 'rel="next" href="/blog/tag/flask/page/2"' in first
    assert 'rel="prev" href="/blog/tag/flask"' in second
    assert "<title>Posts tagged “flask” (page 2)" in second
    assert '<link rel="canonical" href="https://blog.example.com/blog/tag/flask/page/2">' in second
    assert '<link rel="canonical" href="https://blog.example.com/blog/tag/flask">' in first
    one_page = client.get("/blog/tag/python").get_data(as_text=True)
    assert 'class="pagination"' not in one_page and "1 post." in one_page


def test_sitemap_lists_every_page_of_tags_and_blog(make_app, posts_dir):
    xml = make_app(posts_dir, POSTS_PER_PAGE=2).test_client().get("/sitemap.xml").get_data(as_text=True)
    locs = re.findall(r"<loc>https://blog.example.com([^<]*)</loc>", xml)
    for path in ("/blog", "/blog/page/2", "/blog/tag/flask", "/blog/tag/flask/page/2"):
        assert locs.count(path) == 1, path
    assert "/blog/tag/flask/page/3" not in locs and "/blog/tag/python/page/2" not in locs


def test_empty_blog_has_a_first_page(make_app, tmp_path):
    client = make_app(tmp_path).test_client()
    assert client.get("/blog").status_code == 200
    assert client.get("/blog/page/2").status_code == 404


@pytest.mark.parametrize("settings", [{"SHOW_DRAFTS": True}, {"DEBUG": True}])
def test_drafts_and_future_posts_in_preview(make_app, posts_dir, settings):
    app = make_app(posts_dir, **settings)
    if settings.get("DEBUG"):
        app.debug = True
    client = app.test_client()
    assert client.get("/blog/draft").status_code == 200
    assert client.get("/blog/future").status_code == 200
    html = client.get("/blog").get_data(as_text=True)
    assert "draft" in titles(html) and "Draft</span>" in html


def test_future_post_appears_when_its_date_comes_without_restart(client, write_post):
    due = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    write_post("soon.md", f"title: Soon\ndate: {due.isoformat()}\n\nLater.\n")
    assert client.get("/blog/soon").status_code == 404
    assert "/blog/soon" not in client.get("/blog").get_data(as_text=True)
    time.sleep(max(0.0, (due - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 0.1)
    assert client.get("/blog/soon").status_code == 200
    assert "/blog/soon" in client.get("/blog").get_data(as_text=True)


def test_404_and_500_pages_use_the_layout(make_app, posts_dir):
    app = make_app(posts_dir, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    client = app.test_client()
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert "Page not found" in missing.get_data(as_text=True)
    assert 'class="site-header"' in missing.get_data(as_text=True)
    broken = client.get("/boom")
    assert broken.status_code == 500
    assert "Something went wrong" in broken.get_data(as_text=True)
    assert 'class="site-header"' in broken.get_data(as_text=True)


def test_bad_post_does_not_take_the_site_down(client, write_post):
    write_post("broken.md", "---\ntitle: [oops\n---\n")
    write_post("bad_date.md", "title: T\ndate: someday\n\nB\n")
    assert client.get("/").status_code == 200
    assert titles(client.get("/blog").get_data(as_text=True)) == PUBLIC
    assert client.get("/blog/broken").status_code == 404


def test_edited_post_shows_on_next_request(client, posts_dir):
    path = posts_dir / "bare_header.md"
    assert "The body of a post" in client.get("/blog/bare_header").get_data(as_text=True)
    stat = path.stat()
    path.write_text(path.read_text().replace("The body of a post", "An edited body of a post"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    html = client.get("/blog/bare_header").get_data(as_text=True)
    assert "An edited body of a post" in html


def test_added_and_deleted_posts_show_on_next_request(client, write_post):
    path = write_post("added.md", "title: Added\ndate: 2024-06-01\n\nNew.\n")
    assert client.get("/blog/added").status_code == 200
    path.unlink()
    assert client.get("/blog/added").status_code == 404


def test_code_css_is_versioned_and_cacheable(client):
    html = client.get("/").get_data(as_text=True)
    url = re.search(r'href="(/code\.css\?v=[0-9a-f]+)"', html).group(1)
    response = client.get(url)
    assert response.mimetype == "text/css"
    assert "immutable" in response.headers["Cache-Control"]
    assert "@media (prefers-color-scheme: dark)" in response.get_data(as_text=True)
    assert re.search(r'href="/static/css/site\.css\?v=[0-9a-f]{10}"', html)


def test_unknown_front_matter_keys_reach_templates(app, posts_dir):
    with app.test_request_context():
        post = app.extensions["posts"].get("bare_header")
        assert post.mood == "cheerful"
        assert post.author == "Sam Writer"
        assert post.no_such_key is None


@pytest.mark.parametrize("url, current", [
    ("/", "/"),
    ("/blog", "/blog"),
    ("/blog/bare_header", "/blog"),
    ("/blog/archive", "/blog/archive"),
])
def test_one_nav_link_is_current(client, url, current):
    html = client.get(url).get_data(as_text=True)
    nav = html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', nav) == [current]


@pytest.mark.parametrize("tag, url", [("Écriture", "/blog/tag/%C3%A9criture"),
                                      ("<b>html</b>", "/blog/tag/%3Cb%3Ehtml%3C-b%3E"),
                                      ("c#", "/blog/tag/c"),
                                      ("a b", "/blog/tag/a-b")])
def test_tags_with_accents_or_symbols_are_served_at_their_quoted_url(make_app, tmp_path, tag, url):
    (tmp_path / "one.md").write_text(f"---\ntitle: One\ndate: 2024-01-01\ntags: ['{tag}']\n---\nText.\n",
                                     encoding="utf-8")
    client = make_app(tmp_path, POSTS_PER_PAGE=1).test_client()
    assert client.get(url).status_code == 200
    assert client.get(url + "/page/1").headers["Location"] == url
