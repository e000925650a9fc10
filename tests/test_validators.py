"""Strong validators and 304s on the pages the app answers itself."""
import os

import pytest

from website import create_app


@pytest.fixture
def client(tmp_path):
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "a-(post).md").write_text("---\ntitle: A post\ndate: 2026-01-02\ntags: [x y]\n---\n\nBody.\n")
    app = create_app({"TESTING": True, "POSTS_DIR": str(posts), "POSTS_CHECK_INTERVAL": 0})
    return app.test_client()


@pytest.mark.parametrize("url", ["/", "/blog", "/blog/a-(post)", "/blog/tag/x-y", "/feed.xml",
                                 "/sitemap.xml", "/robots.txt", "/search?q=post"])
def test_every_page_has_a_strong_etag_and_answers_304(client, url):
    first = client.get(url)
    assert first.status_code == 200
    etag, weak = first.get_etag()
    assert etag and not weak
    assert first.headers["Cache-Control"] in ("public, max-age=60, must-revalidate",)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_the_etag_follows_the_body(client, tmp_path):
    before = client.get("/blog/a-(post)").headers["ETag"]
    (tmp_path / "posts" / "a-(post).md").write_text(
        "---\ntitle: A post\ndate: 2026-01-02\n---\n\nAnother body.\n")
    os.utime(tmp_path / "posts" / "a-(post).md", (2e9, 2e9))
    after = client.get("/blog/a-(post)")
    assert after.headers["ETag"] != before and b"Another body" in after.data


def test_errors_get_no_validator(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "ETag" not in response.headers
