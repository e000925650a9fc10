"""The posts folder: bad posts skipped with their error, duplicates, freshness."""
import logging
import os

import pytest

from website.content.collection import PostCollection

GOOD = "title: Good\ndate: 2024-01-01\n\nFine.\n"


def collection(folder):
    posts = PostCollection(folder, check_interval=0)
    posts.refresh(force=True)
    return posts


@pytest.mark.parametrize("name, data, where, words", [
    ("no_title.md", "date: 2024-01-01\n\nBody\n", "no_title.md:1", "'title' is missing"),
    ("no_date.md", "---\ntitle: T\n---\nBody\n", "no_date.md:1", "'date' is missing"),
    ("bad_date.md", "title: T\ndate: 14th of July\n\nBody\n", "bad_date.md:2", "not an ISO date"),
    ("broken_yaml.md", "---\ntitle: [oops\ndate: 2024-01-01\n---\nB\n", "broken_yaml.md:3",
     "on line 2"),
    ("latin1.md", "title: Caf\xe9\ndate: 2024-01-01\n\nB\n".encode("latin-1"), "latin1.md:1",
     "not UTF-8"),
    ("unclosed.md", "---\ntitle: T\ndate: 2024-01-01\n\nBody\n", "unclosed.md:1", "never closed"),
])
def test_bad_post_is_skipped_with_error_logged(tmp_path, caplog, name, data, where, words):
    (tmp_path / "good.md").write_text(GOOD)
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    with caplog.at_level(logging.ERROR, logger="website"):
        posts = collection(tmp_path)
    assert [p.slug for p in posts.all()] == ["good"]
    [error] = posts.errors
    assert str(error).startswith(str(tmp_path / where))
    assert words in str(error)
    assert any(where in record.getMessage() for record in caplog.records)


def test_unreadable_file_is_skipped(tmp_path):
    if os.geteuid() == 0:
        # root reads anything; a directory named *.md can't be read by anyone
        (tmp_path / "unreadable.md").mkdir()
        (tmp_path / "good.md").write_text(GOOD)
        assert [p.slug for p in collection(tmp_path).all()] == ["good"]
        return
    path = tmp_path / "unreadable.md"
    path.write_text(GOOD.replace("Good", "Hidden"))
    path.chmod(0)
    (tmp_path / "good.md").write_text(GOOD)
    posts = collection(tmp_path)
    assert [p.slug for p in posts.all()] == ["good"]
    assert "can't be read" in str(posts.errors[0])


def test_duplicate_slugs_name_both_files_and_neither_wins(tmp_path, caplog):
    (tmp_path / "one.md").write_text("title: One\ndate: 2024-01-01\nslug: same\n\nA\n")
    (tmp_path / "same.md").write_text("title: Two\ndate: 2024-01-02\n\nB\n")
    (tmp_path / "other.md").write_text(GOOD)
    with caplog.at_level(logging.ERROR, logger="website"):
        posts = collection(tmp_path)
    assert posts.get("same") is None
    assert [p.slug for p in posts.all()] == ["other"]
    assert len(posts.errors) == 2
    for error in posts.errors:
        assert "one.md" in str(error) and "same.md" in str(error)
    assert any("one.md" in r.getMessage() and "same.md" in r.getMessage() for r in caplog.records)


def test_only_markdown_files_are_posts(tmp_path):
    (tmp_path / "post.md").write_text(GOOD)
    (tmp_path / "notes.txt").write_text("not a post")
    (tmp_path / ".post.md.swp").write_text("editor file")
    assert [p.slug for p in collection(tmp_path).all()] == ["post"]


def test_missing_folder_serves_nothing(tmp_path, caplog):
    with caplog.at_level(logging.ERROR, logger="website"):
        posts = collection(tmp_path / "nope")
    assert posts.all() == []
    assert "does not exist" in caplog.text


def bump(path, text):
    """Rewrite ``path`` and move its mtime forward, as an editor save would."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_edit_add_delete_are_seen_on_next_refresh(tmp_path):
    first = tmp_path / "first.md"
    first.write_text(GOOD)
    posts = collection(tmp_path)
    bump(first, GOOD.replace("Good", "Edited"))
    (tmp_path / "second.md").write_text(GOOD)
    posts.refresh()
    assert posts.get("first").title == "Edited"
    assert posts.get("second") is not None
    (tmp_path / "second.md").unlink()
    posts.refresh()
    assert posts.get("second") is None


def test_unchanged_posts_are_not_read_again(tmp_path, monkeypatch):
    (tmp_path / "a.md").write_text(GOOD)
    posts = collection(tmp_path)
    before = posts.get("a")
    html = before.html
    (tmp_path / "b.md").write_text(GOOD)
    posts.refresh()
    assert posts.get("a") is before
    assert posts.get("a").html is html


def test_refresh_is_rate_limited(tmp_path):
    path = tmp_path / "a.md"
    path.write_text(GOOD)
    posts = PostCollection(tmp_path, check_interval=3600)
    posts.refresh()
    bump(path, GOOD.replace("Good", "Later"))
    posts.refresh()
    assert posts.get("a").title == "Good"
    posts.refresh(force=True)
    assert posts.get("a").title == "Later"


def test_added_and_deleted_files_show_at_once_within_the_interval(tmp_path):
    (tmp_path / "a.md").write_text(GOOD)
    posts = PostCollection(tmp_path, check_interval=3600)
    posts.refresh()
    (tmp_path / "b.md").write_text(GOOD)
    posts.refresh()
    assert posts.get("b") is not None
    (tmp_path / "a.md").unlink()
    posts.refresh()
    assert posts.get("a") is None and posts.get("b") is not None


def test_one_look_only_ignores_even_added_files(tmp_path):
    import math
    (tmp_path / "a.md").write_text(GOOD)
    posts = PostCollection(tmp_path, check_interval=math.inf)
    posts.refresh()
    (tmp_path / "b.md").write_text(GOOD)
    posts.refresh()
    assert posts.get("b") is None
    posts.refresh(force=True)
    assert posts.get("b") is not None


def test_startup_renders_no_markdown(tmp_path, monkeypatch):
    calls = []
    import website.content.rendering as rendering
    real = rendering.render
    monkeypatch.setattr(rendering, "render", lambda text: calls.append(text) or real(text))
    (tmp_path / "a.md").write_text(GOOD)
    posts = collection(tmp_path)
    assert calls == []
    assert "Fine." in posts.get("a").html
    assert "Fine." in posts.get("a").html
    assert len(calls) == 1


def test_visible_at_a_moment(tmp_path):
    import datetime as dt
    for name, date, draft in [("old", "2020-01-01", "false"), ("noon", "2024-06-01T12:00:00+00:00", "false"),
                              ("later", "2024-06-01T12:00:01+00:00", "false"),
                              ("draft", "2021-01-01", "true"), ("paris", "2024-06-01T13:30:00+02:00", "false")]:
        (tmp_path / f"{name}.md").write_text(f"title: {name}\ndate: {date}\ndraft: {draft}\n\nB\n")
    posts = collection(tmp_path)
    noon = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
    assert [p.slug for p in posts.visible(noon)] == ["noon", "paris", "old"]
    assert [p.slug for p in posts.visible(noon - dt.timedelta(seconds=1))] == ["paris", "old"]
    assert [p.slug for p in posts.visible(noon, preview=True)] == ["later", "noon", "paris", "draft", "old"]
    assert all(p.is_public(noon) for p in posts.visible(noon))
