"""Live reload: a script and endpoint in debug mode only; the token follows file changes."""
import os
import re
import time

from website.web.livereload import change_token

SCRIPT = re.compile(r'<script src="(/static/js/livereload\.js[^"]*)" '
                    r'data-endpoint="/__livereload" data-token="(\w+)" defer></script>')


def bump(path):
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


def test_hook_present_in_debug(make_app, posts_dir):
    client = make_app(posts_dir, DEBUG=True, LIVERELOAD_WAIT=0).test_client()
    for path in ("/", "/blog", "/blog/bare_header", "/blog/archive", "/no-such-page"):
        html = client.get(path).get_data(as_text=True)
        match = SCRIPT.search(html)
        assert match, path
        with client.get(match.group(1)) as script:
            assert script.status_code == 200
            assert b"location.reload" in script.data
        assert match.group(2) == client.get("/__livereload").get_json()["token"]


def test_absent_in_production(client):
    for path in ("/", "/blog", "/blog/bare_header", "/blog/archive", "/no-such-page"):
        html = client.get(path).get_data(as_text=True)
        assert "livereload" not in html and "<script src" not in html, path
    assert client.get("/__livereload").status_code == 404


def test_token_changes_when_a_post_changes(make_app, posts_dir):
    client = make_app(posts_dir, DEBUG=True, LIVERELOAD_WAIT=0).test_client()
    before = client.get("/__livereload").get_json()["token"]
    assert client.get("/__livereload").get_json()["token"] == before
    bump(posts_dir / "draft.md")
    after = client.get("/__livereload").get_json()["token"]
    assert after != before
    (posts_dir / "new.md").write_text("title: New\ndate: 2024-01-01\n\nB.\n", encoding="utf-8")
    added = client.get(f"/__livereload?token={after}").get_json()["token"]
    assert added != after
    (posts_dir / "new.md").unlink()
    assert client.get("/__livereload").get_json()["token"] != added


def test_token_follows_templates_and_static(tmp_path):
    folders = [tmp_path / name for name in ("posts", "templates", "static")]
    for folder in folders:
        (folder / "sub").mkdir(parents=True)
    css = folders[2] / "sub" / "site.css"
    css.write_text("a {}", encoding="utf-8")
    template = folders[1] / "base.html"
    template.write_text("<p>", encoding="utf-8")
    token = change_token(folders)
    bump(css)
    assert change_token(folders) != token
    token = change_token(folders)
    bump(template)
    assert change_token(folders) != token
    token = change_token(folders)
    (folders[0] / ".post.md.swp").write_text("x", encoding="utf-8")     # editor noise
    assert change_token(folders) == token


def test_long_poll_waits_for_a_change_then_answers(make_app, posts_dir):
    client = make_app(posts_dir, DEBUG=True, LIVERELOAD_WAIT=0.6).test_client()
    token = client.get("/__livereload?token=stale").get_json()["token"]
    started = time.monotonic()
    response = client.get(f"/__livereload?token={token}")
    assert time.monotonic() - started >= 0.5
    assert response.get_json()["token"] == token
    assert "no-store" in response.headers["Cache-Control"]
