"""Settings: defaults, instance/config.py, FLASK_* environment variables."""
from website import create_app


def test_defaults_come_from_config_module(app):
    assert app.config["POSTS_PER_PAGE"] == 10
    assert app.config["SITE_TITLE"]


def test_environment_overrides(monkeypatch, posts_dir):
    monkeypatch.setenv("FLASK_POSTS_DIR", str(posts_dir))
    monkeypatch.setenv("FLASK_POSTS_PER_PAGE", "2")
    monkeypatch.setenv("FLASK_SITE_TITLE", "Env Title")
    app = create_app()
    assert app.config["POSTS_DIR"] == str(posts_dir)
    assert app.config["POSTS_PER_PAGE"] == 2
    html = app.test_client().get("/blog").get_data(as_text=True)
    assert "Env Title" in html
    assert "page 1 of 2" in html


def test_instance_config_overrides_defaults(tmp_path, posts_dir):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(f'SITE_TITLE = "From instance"\nPOSTS_DIR = {str(posts_dir)!r}\n')
    app = create_app(instance_path=str(instance))
    assert app.config["SITE_TITLE"] == "From instance"
    assert "From instance" in app.test_client().get("/").get_data(as_text=True)


def test_relative_posts_dir_is_relative_to_project(make_app):
    app = make_app("posts")
    assert app.config["POSTS_DIR"].endswith("/posts")
    assert app.extensions["posts"].all()


def test_site_url_is_used_for_absolute_urls(make_app, posts_dir):
    from website.web.public import external_url
    app = make_app(posts_dir, SITE_URL="https://example.org/")
    with app.test_request_context("/blog/x"):
        assert external_url("blog.post", slug="x") == "https://example.org/blog/x"
        assert external_url("feeds.site_feed") == "https://example.org/feed.xml"
    html = app.test_client().get("/blog/bare_header").get_data(as_text=True)
    assert '<link rel="canonical" href="https://example.org/blog/bare_header">' in html


def test_nav_links_are_configurable(make_app, posts_dir):
    app = make_app(posts_dir, NAV_LINKS=[("Home", "/"), ("About me", "/blog/bare_header")])
    html = app.test_client().get("/").get_data(as_text=True)
    assert '<a href="/blog/bare_header">About me</a>' in html
