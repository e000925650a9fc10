"""The owner's site.yaml: what it sets, where it sits among the other sources, its errors."""
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import website.config as defaults
from website import create_app
from website.site_settings import SETTINGS, SettingsError, load, private_address

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path, text, name="site.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_tracked_file_loads_and_names_only_known_settings():
    settings = load(REPO / "site.yaml")
    assert settings["SITE_TITLE"] and settings["AUTHOR"]
    assert settings["SITE_URL"].startswith("https://")
    assert private_address(settings["SITE_URL"]) is None
    assert settings["NAV_LINKS"] == [tuple(link) for link in defaults.NAV_LINKS]
    for key in settings:
        assert hasattr(defaults, key), key


def test_every_owner_setting_has_a_default():
    for key in SETTINGS:
        assert hasattr(defaults, key.upper()), key


def test_values_are_converted(tmp_path):
    path = write(tmp_path, """\
site_title: "Ana's notes"
site_url: https://notes.example.net/
site_intro: |
  Two lines
  of *Markdown*.
nav_links:
  - Start: /
  - Elsewhere: https://example.net/
timezone: Europe/Paris
posts_per_page: 3
feed_full_content: false
site_image: ""
""")
    settings = load(path)
    assert settings == {
        "SITE_TITLE": "Ana's notes", "SITE_URL": "https://notes.example.net",
        "SITE_INTRO": "Two lines\nof *Markdown*.",
        "NAV_LINKS": [("Start", "/"), ("Elsewhere", "https://example.net/")],
        "TIMEZONE": "Europe/Paris", "POSTS_PER_PAGE": 3, "FEED_FULL_CONTENT": False,
        "SITE_IMAGE": "",
    }


def test_missing_or_empty_file_means_defaults(tmp_path):
    assert load(tmp_path / "nothing-here.yaml") == {}
    assert load(write(tmp_path, "# only comments\n")) == {}


@pytest.mark.parametrize("text, line, key, message", [
    ("site_title: A\nsite_titel: B\n", 2, "site_titel", "did you mean 'site_title'"),
    ("show_drafts: true\n", 1, "show_drafts", "instance/config.py"),
    ("site_title: A\nposts_per_page: ten\n", 2, "posts_per_page", "whole number"),
    ("posts_per_page: 0\n", 1, "posts_per_page", "1 or more"),
    ("home_posts: true\n", 1, "home_posts", "whole number"),
    ("feed_full_content: yes please\n", 1, "feed_full_content", "true or false"),
    ("site_url: example.com\n", 1, "site_url", "https://example.com"),
    ("site_url: https://example.com/?x=1\n", 1, "site_url", "an address"),
    ("timezone: Mars/Olympus\n", 1, "timezone", "not a time zone"),
    ("pygments_style_dark: neon\n", 1, "pygments_style_dark", "not a Pygments style"),
    ("site_title:\n", 1, "site_title", "must be text, not nothing"),
    ("site_title: [a, b]\n", 1, "site_title", "must be text, not a list"),
    ("nav_links:\n  - Home: /\n  - [Blog, /blog]\n", 3, "nav_links", "'- Label: /path'"),
    ("nav_links: /blog\n", 1, "nav_links", "a list"),
    ("author: A\nauthor: B\n", 2, "author", "set twice (also on line 1)"),
])
def test_bad_settings_name_file_line_and_key(tmp_path, text, line, key, message):
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as caught:
        load(path)
    error = caught.value
    assert (error.path, error.line, error.key) == (str(path), line, key)
    assert message in error.message
    assert str(error).startswith(f"{path}:{line}: {key}: ")


@pytest.mark.parametrize("text, line, message", [
    ("site_title: [never closed\n", 2, "not valid YAML"),
    ("- a list\n- of things\n", 1, "key: value"),
])
def test_broken_file_names_file_and_line(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as caught:
        load(path)
    assert caught.value.line == line and message in str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_a_bad_file_stops_the_app_with_its_error(tmp_path):
    path = write(tmp_path, "site_title: A\nposts_per_pag: 3\n")
    with pytest.raises(SettingsError, match=r"site.yaml:2: posts_per_pag: unknown setting"):
        create_app({"TESTING": True}, settings_file=path)


def test_flask_commands_print_a_bad_setting_on_one_line(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(REPO / "website", project / "website")   # flask --app resolves symlinks
    (project / "site.yaml").write_text("site_title: A\ntimezone: Mars/Olympus\n")
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "website", "check"],
                            cwd=project, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (f"Error: {project / 'site.yaml'}:2: timezone: 'Mars/Olympus' is not "
                             "a time zone name such as Europe/Paris or UTC\n")


def test_precedence_defaults_file_instance_environment_test_config(tmp_path, monkeypatch, posts_dir):
    """Each source overrides the ones before it, one setting at a time."""
    settings = write(tmp_path, "site_title: from file\nauthor: from file\n"
                               "site_description: from file\nsite_language: fr\n")
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text('AUTHOR = "from instance"\n'
                                        'SITE_DESCRIPTION = "from instance"\n'
                                        'SITE_LANGUAGE = "de"\n')
    monkeypatch.setenv("FLASK_SITE_DESCRIPTION", "from environment")
    monkeypatch.setenv("FLASK_SITE_LANGUAGE", "nl")
    app = create_app({"SITE_LANGUAGE": "sv", "POSTS_DIR": str(posts_dir)},
                     instance_path=str(instance), settings_file=settings)
    assert app.config["HOME_POSTS"] == defaults.HOME_POSTS           # default
    assert app.config["SITE_TITLE"] == "from file"                  # site.yaml
    assert app.config["AUTHOR"] == "from instance"                  # instance/config.py
    assert app.config["SITE_DESCRIPTION"] == "from environment"     # FLASK_*
    assert app.config["SITE_LANGUAGE"] == "sv"                      # test config
    page = app.test_client().get("/").get_data(as_text=True)
    assert "<title>from file</title>" in page and '<html lang="sv">' in page


def test_the_project_file_is_read_by_default(tmp_path, monkeypatch):
    """A copy of the project reads its own site.yaml, without being told where."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "website").symlink_to(REPO / "website")
    (project / "site.yaml").write_text("site_title: Copied project\n")
    code = "from website import create_app; print(create_app().config['SITE_TITLE'])"
    out = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "Copied project"


@pytest.mark.parametrize("url, private", [
    ("http://127.0.0.1:5000", True), ("http://localhost:8000", True), ("http://[::1]/", True),
    ("http://10.0.0.5", True), ("http://192.168.1.20", True), ("http://172.16.3.4", True),
    ("http://169.254.169.254", True), ("http://myserver", True), ("http://blog.local", True),
    ("http://0.0.0.0", True), ("https://example.com", False), ("http://203.0.114.7", False),
    ("https://blog.example.com/sub", False), ("http://8.8.8.8", False),
])
def test_private_addresses(url, private):
    assert (private_address(url) is not None) == private


def test_private_site_url_is_logged_in_production(make_app, posts_dir, caplog):
    with caplog.at_level(logging.ERROR, logger="website"):
        make_app(posts_dir, SITE_URL="http://127.0.0.1:5000", TESTING=False)
    assert any("SITE_URL http://127.0.0.1:5000 is not a public address" in r.getMessage()
               for r in caplog.records if r.levelno == logging.ERROR)


def test_private_site_url_is_quiet_in_debug_and_public_ones_always(make_app, posts_dir, caplog):
    with caplog.at_level(logging.ERROR, logger="website"):
        make_app(posts_dir, SITE_URL="http://127.0.0.1:5000", DEBUG=True)
        make_app(posts_dir)    # the suite's https://blog.example.com
    assert not [r for r in caplog.records if "SITE_URL" in r.getMessage()]


def test_check_reports_a_private_site_url(make_app, posts_dir):
    app = make_app(posts_dir, SITE_URL="http://localhost:5000")
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert "SITE_URL: error: http://localhost:5000 is not a public address" in result.stdout
    ok = make_app(posts_dir).test_cli_runner().invoke(args=["check"])
    assert "SITE_URL" not in ok.output


def test_check_prints_findings_and_summary_on_stdout(tmp_path):
    """Run as a reader would: a real process, stdout and stderr apart."""
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "bad.md").write_text("---\ntitle: Bad\ndate: 2026-13-01\n---\n\nText.\n")
    (posts / "good.md").write_text("---\ntitle: Good\ndate: 2026-01-01\n---\n\n```klingon\nx\n```\n")
    env = {"FLASK_POSTS_DIR": str(posts), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "website", "check"],
                            cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert any("bad.md:3: error: date" in line for line in lines)
    assert any("good.md:6: warning: code language 'klingon'" in line for line in lines)
    assert lines[-1].startswith("2 posts and 1 page checked: 1 error, 1 warning")


def test_new_post_prints_only_the_path(tmp_path):
    posts = tmp_path / "posts"
    posts.mkdir()
    env = {"FLASK_POSTS_DIR": str(posts), "FLASK_SITE_URL": "http://127.0.0.1:5000",
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "website", "new-post",
                             "Only the path"], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{posts / 'only-the-path.md'}\n"
    assert result.stderr == ""
