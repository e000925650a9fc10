"""Shared fixtures: the app built by its factory on a temporary posts folder."""
import os
import shutil
from pathlib import Path

import pytest

from website import create_app

TEST_POSTS = Path(__file__).parent / "posts"
SAMPLE_POSTS = Path(__file__).parent.parent / "posts"
SAMPLE_PAGES = Path(__file__).parent.parent / "pages"
SITE_URL = "https://blog.example.com"


@pytest.fixture(autouse=True, scope="session")
def _app_cache_outside_the_project(tmp_path_factory):
    """Apps and commands the tests start keep the posts they read (``CACHE_DIR``)
    in a folder of the test run, not in the project's instance folder."""
    saved = os.environ.get("FLASK_CACHE_DIR")
    os.environ["FLASK_CACHE_DIR"] = str(tmp_path_factory.mktemp("app-cache"))
    yield
    if saved is None:
        os.environ.pop("FLASK_CACHE_DIR", None)
    else:
        os.environ["FLASK_CACHE_DIR"] = saved


@pytest.fixture
def posts_dir(tmp_path):
    """A temporary copy of tests/posts/, one post per case it covers."""
    folder = tmp_path / "posts"
    shutil.copytree(TEST_POSTS, folder)
    return folder


@pytest.fixture
def make_app():
    """Build an app on a posts folder, with test settings plus ``overrides``.

    Its pages folder is ``pages`` beside the posts folder (none unless a test makes it).
    """
    def build(folder, **overrides):
        config = {"TESTING": True, "POSTS_DIR": str(folder), "SITE_URL": SITE_URL,
                  "POSTS_CHECK_INTERVAL": 0, "PAGES_DIR": str(Path(folder).parent / "pages")}
        config.update(overrides)
        return create_app(config)
    return build


@pytest.fixture
def app(make_app, posts_dir):
    return make_app(posts_dir)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def sample_app(make_app, tmp_path):
    """The app on a copy of the project's own sample posts and pages."""
    folder = tmp_path / "sample-posts"
    shutil.copytree(SAMPLE_POSTS, folder)
    shutil.copytree(SAMPLE_PAGES, tmp_path / "pages")
    return make_app(folder)


@pytest.fixture
def write_post(posts_dir):
    """Write ``text`` to ``posts_dir/name`` and return the path."""
    def write(name, text, encoding="utf-8"):
        path = posts_dir / name
        data = text.encode(encoding) if isinstance(text, str) else text
        path.write_bytes(data)
        return path
    return write
