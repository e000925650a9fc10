"""``flask new-post``: the file it writes, its slug, and never overwriting."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from website.content import front_matter, metadata
from website.tools.new_post import slug_for, slugify


@pytest.fixture
def empty_app(make_app, tmp_path):
    """An app on an empty posts folder."""
    folder = tmp_path / "posts"
    folder.mkdir()
    return make_app(folder)


def new_post(app, *args):
    return app.test_cli_runner().invoke(args=["new-post", *args])


def read_header(path):
    header = front_matter.split(path.read_text(encoding="utf-8"), path)
    return metadata.normalise(header.fields, path, header.lines)


def test_new_post_writes_front_matter_and_prints_the_path(empty_app, tmp_path):
    result = new_post(empty_app, "My first post", "--tags", "flask, web development")
    assert result.exit_code == 0, result.output
    path = tmp_path / "posts" / "my-first-post.md"
    assert result.stdout.strip().endswith(str(path.relative_to(tmp_path)))
    assert path.read_text(encoding="utf-8").startswith("---\n")
    meta = read_header(path)
    assert meta["title"] == "My first post"
    assert meta["tags"] == ["flask", "web development"]
    assert meta["draft"] is False


def test_new_post_is_served(empty_app):
    assert new_post(empty_app, "Fresh off the press").exit_code == 0
    page = empty_app.test_client().get("/blog/fresh-off-the-press")
    assert page.status_code == 200
    assert "Fresh off the press" in page.get_data(as_text=True)


def test_draft_flag(empty_app, tmp_path):
    assert new_post(empty_app, "Not yet", "--draft").exit_code == 0
    assert read_header(tmp_path / "posts" / "not-yet.md")["draft"] is True
    assert empty_app.test_client().get("/blog/not-yet").status_code == 404


def test_date_is_today_in_the_site_time_zone(make_app, tmp_path):
    zone = "Pacific/Kiritimati"      # UTC+14: a different day from UTC for most of it
    app = make_app(tmp_path / "posts", TIMEZONE=zone)
    assert new_post(app, "Dated").exit_code == 0
    written = read_header(tmp_path / "posts" / "dated.md")["date"].date()
    assert written == dt.datetime.now(ZoneInfo(zone)).date()


def test_title_with_yaml_special_characters_reads_back(empty_app, tmp_path):
    title = 'Colons: "quotes", #hash, back\\slash & [brackets] {braces} - yes'
    assert new_post(empty_app, title, "--tags", "true, 1.5").exit_code == 0
    path = next((tmp_path / "posts").glob("*.md"))
    meta = read_header(path)
    assert meta["title"] == title
    assert meta["tags"] == ["true", "1.5"]


def test_refuses_to_overwrite(empty_app, tmp_path):
    assert new_post(empty_app, "Same title").exit_code == 0
    path = tmp_path / "posts" / "same-title.md"
    path.write_text(path.read_text() + "\nMy precious words.\n", encoding="utf-8")
    before = path.read_bytes()
    result = new_post(empty_app, "Same title", "--tags", "other")
    assert result.exit_code == 1
    assert "same-title" in result.output and "already" in result.output
    assert path.read_bytes() == before


def test_refuses_a_file_that_exists_even_if_broken(empty_app, tmp_path):
    broken = tmp_path / "posts" / "broken.md"
    broken.write_text("title: no date\n\nBody\n", encoding="utf-8")
    result = new_post(empty_app, "Broken")
    assert result.exit_code == 1
    assert "not overwriting" in result.output
    assert broken.read_text(encoding="utf-8") == "title: no date\n\nBody\n"


def test_refuses_a_slug_another_post_chose(make_app, posts_dir):
    app = make_app(posts_dir)          # custom_slug.md says slug: chosen-address
    result = new_post(app, "Chosen address")
    assert result.exit_code == 1
    assert "custom_slug.md" in result.output
    assert not (posts_dir / "chosen-address.md").exists()


def test_slug_option(empty_app, tmp_path):
    assert new_post(empty_app, "Whatever", "--slug", "my-own").exit_code == 0
    assert (tmp_path / "posts" / "my-own.md").is_file()
    bad = new_post(empty_app, "Whatever", "--slug", "../escape")
    assert bad.exit_code == 2
    assert not (tmp_path / "escape.md").exists()


def test_empty_title_is_refused(empty_app, tmp_path):
    assert new_post(empty_app, "   ").exit_code == 2
    assert list((tmp_path / "posts").iterdir()) == []


def test_title_with_nothing_usable_gets_a_dated_slug(empty_app, tmp_path):
    result = new_post(empty_app, "日本語のタイトル")
    assert result.exit_code == 0, result.output
    [path] = (tmp_path / "posts").glob("*.md")
    assert path.name.startswith("post-") and path.name[5:15].count("-") == 2
    assert read_header(path)["title"] == "日本語のタイトル"


@pytest.mark.parametrize("title, slug", [
    ("Hello, World!", "hello-world"),
    ("  Spaces   everywhere  ", "spaces-everywhere"),
    ("Ça marche: déjà vu", "ca-marche-deja-vu"),
    ("Straße, Œuvre & Smørrebrød", "strasse-oeuvre-and-smorrebrod"),
    ("C++ vs. C#", "c-plus-plus-vs-c"),
    ("What's new in 3.12?", "what-s-new-in-3-12"),
    ("Ünïcödé — “quotes” / slashes \\ (parens)", "unicode-quotes-slashes-parens"),
    ("Emoji 🎉 party", "emoji-party"),
    ("日本語", ""),
])
def test_slugify(title, slug):
    assert slugify(title) == slug


def test_long_titles_are_cut_at_a_word():
    slug = slugify("word " * 40)
    assert len(slug) <= 60 and not slug.endswith("-") and slug.endswith("word")


def test_slug_for_falls_back_to_the_date():
    assert slug_for("!!!", dt.date(2024, 5, 1)) == "post-2024-05-01"
    assert slug_for("Hi!", dt.date(2024, 5, 1)) == "hi"
