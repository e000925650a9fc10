"""The posts as last read, kept on disk: a restart reads only the files that changed."""
import logging
import os
import shutil
import threading
import time

import pytest

from website import create_app
from website.content import read_cache
from website.content.collection import PageCollection, PostCollection
from website.content.post import Post

from conftest import SITE_URL

GOOD = "title: Good\ndate: 2024-01-01\ntags: one\n\nFine.\n"


@pytest.fixture
def reads(monkeypatch):
    """The names of the posts read from their files (``Post.from_file``), in order."""
    names = []
    original = Post.from_file.__func__

    def counting(cls, path, *args, **kwargs):
        if cls is Post:         # not pages
            names.append(os.path.basename(path))
        return original(cls, path, *args, **kwargs)

    monkeypatch.setattr(Post, "from_file", classmethod(counting))
    return names


def started(folder, cache):
    """A collection of ``folder`` as a new process starts it: kept in ``cache``, read once."""
    posts = PostCollection(folder, check_interval=0)
    posts.keep_on_disk(cache / "posts.pickle")
    posts.refresh(force=True)
    posts.save()
    return posts


def summary(posts):
    return [(p.slug, p.title, p.date, p.tags, p.body, p.body_line, p.digest, p.mtime_ns,
             str(p.path)) for p in posts.all()]


def test_a_restart_reads_no_post_that_did_not_change(posts_dir, tmp_path, reads):
    first = started(posts_dir, tmp_path / "cache")
    assert sorted(reads) == sorted(p.name for p in posts_dir.glob("*.md"))
    assert (tmp_path / "cache" / "posts.pickle").is_file()
    del reads[:]
    again = started(posts_dir, tmp_path / "cache")
    assert reads == []
    assert summary(again) == summary(first)
    assert len(summary(first)) == len(list(posts_dir.glob("*.md")))


def test_a_post_edited_deleted_or_added_between_processes_is_read_again(posts_dir, tmp_path,
                                                                          reads):
    started(posts_dir, tmp_path / "cache")
    edited = posts_dir / "bare_header.md"
    edited.write_text(edited.read_text().replace("\n\n", "\n\nA new first line.\n\n", 1))
    (posts_dir / "custom_slug.md").unlink()
    (posts_dir / "added.md").write_text(GOOD)
    del reads[:]
    posts = started(posts_dir, tmp_path / "cache")
    assert sorted(reads) == ["added.md", "bare_header.md"]
    assert summary(posts) == summary(started(posts_dir, tmp_path / "elsewhere"))
    assert "A new first line." in posts.get("bare_header").body
    assert "custom_slug.md" not in {p.path.name for p in posts.all()}
    # What this process read is kept for the next.
    del reads[:]
    started(posts_dir, tmp_path / "cache")
    assert reads == []


def test_a_bad_post_is_never_kept_and_is_reported_by_every_process(tmp_path, reads, caplog):
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD)
    (folder / "bad.md").write_text("title: Bad\ndate: 14th of July\n\nBody\n")
    started(folder, tmp_path / "cache")
    del reads[:]
    with caplog.at_level(logging.ERROR, logger="website"):
        posts = started(folder, tmp_path / "cache")
    assert reads == ["bad.md"]
    assert [p.slug for p in posts.all()] == ["good"]
    [error] = posts.errors
    assert str(error).startswith(f"{folder / 'bad.md'}:2")
    assert any("bad.md:2" in record.getMessage() for record in caplog.records)


def test_kept_posts_are_not_used_once_the_reading_code_changes(posts_dir, tmp_path, reads,
                                                              monkeypatch):
    started(posts_dir, tmp_path / "cache")
    monkeypatch.setattr(read_cache, "code_version", lambda: "another version")
    del reads[:]
    started(posts_dir, tmp_path / "cache")
    assert len(reads) == len(list(posts_dir.glob("*.md")))


def test_kept_posts_of_another_folder_are_not_used(posts_dir, tmp_path, reads):
    started(posts_dir, tmp_path / "cache")
    copy = tmp_path / "copy"
    shutil.copytree(posts_dir, copy)
    del reads[:]
    posts = started(copy, tmp_path / "cache")
    assert len(reads) == len(list(copy.glob("*.md")))
    assert {p.path.parent for p in posts.all()} == {copy}


@pytest.mark.parametrize("damage", [
    lambda path: path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2]),
    lambda path: path.write_bytes(b"not a pickle at all"),
    lambda path: path.write_bytes(b""),
], ids=["truncated", "garbage", "empty"])
def test_a_damaged_file_is_read_around_and_replaced(posts_dir, tmp_path, reads, caplog, damage):
    kept = tmp_path / "cache" / "posts.pickle"
    first = started(posts_dir, tmp_path / "cache")
    damage(kept)
    del reads[:]
    with caplog.at_level(logging.WARNING, logger="website"):
        posts = started(posts_dir, tmp_path / "cache")
    assert len(reads) == len(list(posts_dir.glob("*.md")))
    assert summary(posts) == summary(first)
    assert any(f"Not using {kept}" in record.getMessage() for record in caplog.records)
    del reads[:]
    started(posts_dir, tmp_path / "cache")
    assert reads == []


@pytest.mark.parametrize("mode", [0o666, 0o620], ids=["anyone", "group"])
def test_a_file_others_may_write_is_not_loaded(posts_dir, tmp_path, reads, caplog, mode):
    kept = tmp_path / "cache" / "posts.pickle"
    started(posts_dir, tmp_path / "cache")
    kept.chmod(mode)
    del reads[:]
    with caplog.at_level(logging.WARNING, logger="website"):
        started(posts_dir, tmp_path / "cache")
    assert len(reads) == len(list(posts_dir.glob("*.md")))
    assert any(f"Not using {kept}" in record.getMessage() and "writable by no one else"
               in record.getMessage() for record in caplog.records)


def test_a_folder_others_may_write_to_is_not_trusted(posts_dir, tmp_path, reads):
    started(posts_dir, tmp_path / "cache")
    (tmp_path / "cache").chmod(0o777)
    del reads[:]
    started(posts_dir, tmp_path / "cache")
    assert len(reads) == len(list(posts_dir.glob("*.md")))


def test_a_cache_folder_that_cannot_be_made_is_reported_once_and_the_site_serves(
        posts_dir, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    posts = PostCollection(posts_dir, check_interval=0)
    posts.keep_on_disk(blocker / "cache" / "posts.pickle")
    with caplog.at_level(logging.WARNING, logger="website"):
        posts.refresh(force=True)
        posts.save()
        (posts_dir / "added.md").write_text(GOOD)
        posts.refresh(force=True)
        posts.save()
    assert "added" in {p.slug for p in posts.all()}
    warnings = [r.getMessage() for r in caplog.records if "Can't keep the posts" in r.getMessage()]
    assert len(warnings) == 1
    assert str(blocker / "cache" / "posts.pickle") in warnings[0]


def test_pages_are_not_kept(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "about.md").write_text("title: About\n\nMe.\n")
    pages = PageCollection(folder, check_interval=0)
    pages.keep_on_disk(tmp_path / "cache" / "pages.pickle")
    pages.refresh(force=True)
    assert [page.slug for page in pages.all()] == ["about"]
    assert not (tmp_path / "cache").exists()


def test_the_app_keeps_its_posts_in_the_instance_folder_by_default(posts_dir, tmp_path,
                                                                    monkeypatch):
    monkeypatch.delenv("FLASK_CACHE_DIR", raising=False)
    instance = tmp_path / "instance"
    app = create_app({"TESTING": True, "POSTS_DIR": str(posts_dir), "SITE_URL": SITE_URL},
                     instance_path=str(instance))
    assert app.test_client().get("/blog").status_code == 200
    app.extensions["posts"].save()      # waits for the save under way once the page is answered
    kept = instance / "cache" / "posts.pickle"
    assert kept.is_file()
    assert kept.stat().st_mode & 0o077 == 0
    assert (instance / "cache").stat().st_mode & 0o077 == 0


def test_an_empty_cache_dir_keeps_nothing(posts_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_CACHE_DIR", raising=False)
    instance = tmp_path / "instance"
    app = create_app({"TESTING": True, "POSTS_DIR": str(posts_dir), "SITE_URL": SITE_URL,
                      "CACHE_DIR": ""}, instance_path=str(instance))
    assert app.test_client().get("/blog").status_code == 200
    assert not instance.exists()


def test_every_page_of_a_restarted_app_is_the_same_as_of_a_first_start(make_app, sample_app,
                                                                       tmp_path, reads):
    folder = sample_app.config["POSTS_DIR"]
    client = sample_app.test_client()
    urls = ["/", "/blog", "/blog/archive", "/feed.xml", "/sitemap.xml"]
    urls += [f"/blog/{post.slug}" for post in sample_app.extensions["posts"].all()
             if not post.draft]
    first = {url: client.get(url).data for url in urls}
    sample_app.extensions["posts"].save()
    del reads[:]
    restarted = make_app(folder).test_client()
    again = {url: restarted.get(url).data for url in urls}
    assert reads == []
    assert len(urls) > 8
    for url in urls:
        assert again[url] == first[url], url


def test_the_build_keeps_its_own_beside_its_output(make_app, posts_dir, tmp_path, reads):
    from website.build.builder import build

    make_app(posts_dir).test_client().get("/blog")       # the app's own cache has them all
    del reads[:]
    build(make_app(posts_dir), tmp_path / "site" / "build", jobs=1)
    # A build into a new folder reads every post, whatever the app kept.
    assert len(reads) == len(list(posts_dir.glob("*.md")))
    assert (tmp_path / "site" / ".build-cache" / "posts.pickle").is_file()
    edited = posts_dir / "bare_header.md"
    edited.write_text(edited.read_text() + "\nOne more line.\n")
    del reads[:]
    report = build(make_app(posts_dir), tmp_path / "site" / "build", jobs=1)
    assert reads == ["bare_header.md"]
    assert report.written >= 1


def test_the_app_writes_it_once_the_page_is_answered(make_app, posts_dir, tmp_path,
                                                      monkeypatch):
    monkeypatch.setenv("FLASK_CACHE_DIR", str(tmp_path / "cache"))
    app = make_app(posts_dir)
    kept = tmp_path / "cache" / "posts.pickle"
    during = []

    @app.after_request
    def look(response):
        during.append(kept.exists())
        return response

    assert app.test_client().get("/blog").status_code == 200
    app.extensions["posts"].save()          # waits for the thread that writes it
    assert during == [False]
    assert kept.is_file()
    assert not app.extensions["posts"].unsaved


def test_only_the_build_itself_writes_it_once_done(make_app, tmp_path, monkeypatch):
    from website.build import workers
    from website.build.builder import build

    folder = tmp_path / "posts"
    folder.mkdir()
    for n in range(120):
        (folder / f"post-{n}.md").write_text(f"title: Post {n}\ndate: 2024-01-01\n\nText {n}.\n")
    writers = tmp_path / "writers"
    original = read_cache.ReadCache.save

    def recording(self, *args):
        with open(writers, "a") as handle:
            handle.write(f"{os.getpid()}:{threading.current_thread().name}\n")
        return original(self, *args)

    monkeypatch.setattr(read_cache.ReadCache, "save", recording)
    renderers = tmp_path / "renderers"
    produce = workers.produce

    def rendering(job, page):
        with open(renderers, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        return produce(job, page)

    monkeypatch.setattr(workers, "produce", rendering)
    build(make_app(folder), tmp_path / "site" / "build", jobs=2)
    assert set(renderers.read_text().split()) - {str(os.getpid())}, "no worker was forked"
    # Once, at the end: no thread of the parent while it forks, nor any worker.
    assert writers.read_text().split() == [f"{os.getpid()}:MainThread"]


def test_a_save_cut_short_long_ago_is_cleared_by_the_next(posts_dir, tmp_path):
    cache = tmp_path / "cache"
    started(posts_dir, cache)
    stale, running = cache / ".posts.pickle-gone123", cache / ".posts.pickle-now456"
    for path in (stale, running):
        path.write_bytes(b"half a pickle")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    (posts_dir / "added.md").write_text(GOOD)
    started(posts_dir, cache)
    assert not stale.exists()
    assert running.exists()          # another process may still be writing it
    assert sorted(p.name for p in cache.iterdir()) == [running.name, "posts.pickle"]
