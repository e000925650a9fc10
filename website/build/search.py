"""Search on static hosts: a ``/search`` page with Pagefind's UI, and Pagefind's index.

The app's ``/search`` asks SQLite on the server; a static host has no
server, so the build writes ``search.html`` (``templates/search_static.html``)
and runs Pagefind (the ``pagefind`` package's bundled binary) over the
posts' pages, which makes the index the page's script searches in the
reader's browser, under ``pagefind/``. A blog with many posts gets its
index in parts (:mod:`.search_parts`), which the page merges.

Pagefind runs on a part only when one of its posts' pages changed (or its
index is missing, or was made by another Pagefind); otherwise the last
build's files of that part are carried over. Its files go through the same
compare-then-write as the pages: a file with the same bytes as the last
build's is hard-linked from it, so it keeps its mtime.
"""
import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import render_template

from ..content import search_query
from ..web.public import public_posts
from . import search_parts, workers

SEARCH_URL = "/search"
MADE_BY = "pagefind"             # marks the index's files in the build's manifest
PAGEFIND_PIN = "pagefind[bin]==1.5.2"
# Pagefind's settings (command-line flags; part of what decides a rerun). It reads
# a post's article only (data-pagefind-body in post.html, which also carries the
# post's address), not the rest of the page: the same index, for a sixth less of
# its CPU time in a build (a third when run alone). Heading permalinks ("#") are
# not words of the post.
PAGEFIND_FLAGS = ("--quiet", "--root-selector", "[data-pagefind-body]",
                  "--exclude-selectors", ".permalink")
# The pages Pagefind reads: only the posts' pages are linked into its folder.
POST_GLOB = "**/*.html"
# Where Pagefind's output goes when there is room (see _memory_folder).
MEMORY_FOLDER = "/dev/shm"
MEMORY_MARGIN = 16 * 2**20
SCRATCH = "website-pagefind-"    # + the build's process id


class SearchIndexError(Exception):
    """Pagefind failed; the message says how."""


@dataclass
class IndexRun:
    """What the search step did, for the build's summary line."""

    posts: int = 0
    ran: bool = False
    seconds: float = 0.0
    parts: int = 1               # parts of the index
    made: int = 0                # parts Pagefind made again

    def summary(self):
        if not self.posts:
            return "no posts to index for search"
        if not self.ran:
            return f"search index unchanged, {self.posts} posts"
        if self.parts > 1:
            return (f"search index: {self.posts} posts, {self.made} of {self.parts} parts "
                    f"made again in {self.seconds:.2f} s")
        return f"search index: {self.posts} posts in {self.seconds:.2f} s"


@lru_cache(maxsize=1)
def pagefind():
    """``(binary path, version line)`` of the installed Pagefind, or ``(None, why not)``."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        return None, "the pagefind package is not installed"
    binary = get_executable()
    if binary is None:
        return None, "the pagefind package is installed without its binary"
    try:
        done = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                              timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"{binary} does not run: {exc}"
    return str(binary), done.stdout.strip()


def available():
    """True when Pagefind can run here."""
    return pagefind()[0] is not None


def missing_message():
    """Why the build has no search index, and how to get one."""
    return (f"search: {pagefind()[1]}: /search says search is not available; "
            f"install it with: .venv/bin/pip install '{PAGEFIND_PIN}' "
            "(it is in requirements.txt)")


def render_page(app):
    """The static ``/search`` page's bytes (rendered as the app renders ``/search``)."""
    with app.test_request_context(SEARCH_URL):
        posts = public_posts()
        html = render_template("search_static.html", query=search_query.parse(""),
                               results=None, hits=[], message="", noindex=True,
                               pagefind=available(), any_posts=bool(posts),
                               merged_indexes=search_parts.merged_urls(
                                   post.slug for post in posts))
    return html.encode("utf-8")


def index_key(part, post_shas):
    """What a part of the index depends on: Pagefind's version and flags, the part's
    folder, and the bytes of each of its posts' pages.

    :param post_shas: ``[(file, sha256 of its bytes)]`` of the part's posts' pages.
    """
    digest = hashlib.sha256(f"{pagefind()[1]}\n{PAGEFIND_FLAGS}\n{part}\n".encode())
    for name, sha in sorted(post_shas):
        digest.update(f"{name}\0{sha}\n".encode())
    return digest.hexdigest()


def index_entries(manifest):
    """The index's files in a build's manifest: ``{file: entry}``."""
    return {name: entry for name, entry in manifest.items() if entry.get("made_by") == MADE_BY}


def _by_part(entries, folders):
    """``{folder: {file: entry}}``: ``entries`` by the part (one of ``folders``, or
    None) their file is in."""
    found = {}
    for name, entry in entries.items():
        found.setdefault(search_parts.part_of_file(name, folders), {})[name] = entry
    return found


def _parts(pages, shas):
    """``{folder: (key, [post pages])}`` of each part of the index.

    The parts are those of every post, as the search page lists them; a
    post's page missing from ``shas`` (it failed, with no earlier version to
    keep) is left out of its part.

    :param shas: ``{file: sha256}`` of the posts' pages.
    """
    posts = {page.post: page for page in pages if page.post}
    parts = {}
    for part, slugs in search_parts.split(posts).items():
        members = [posts[slug] for slug in slugs if shas.get(posts[slug].file)]
        if members:
            parts[part] = (index_key(part, [(page.file, shas[page.file]) for page in members]),
                           members)
    return parts


def kept_files(pages, manifest):
    """The last build's index files, if that index is still the right one; else an empty set.

    For a build where no page changed: the posts' bytes are the manifest's.
    """
    if not available():
        return set()
    entries = index_entries(manifest)
    shas = {page.file: manifest.get(page.file, {}).get("sha") for page in pages if page.post}
    parts = _parts(pages, shas)
    by_part = _by_part(entries, parts)
    for part, (key, _members) in parts.items():
        mine = by_part.get(part)
        if not mine or any(entry.get("fingerprint") != key for entry in mine.values()):
            return set()
    if None in by_part:         # files of a part there is no more
        return set()
    return set(entries)


def start_index(folder, pages, previous, manifest, report, work, jobs=2):
    """Put the index of the posts' pages in ``folder``: each part carried over, or made
    by Pagefind, which runs while the caller goes on (the build renders the
    listings meanwhile); call ``finish()`` on the result for the
    :class:`IndexRun` (None without Pagefind).

    :param folder: the new build folder; only the posts' pages must be in it
        (and in ``report.files``) yet.
    :param work: a scratch folder of this output (emptied and removed at the end).
    :param jobs: Pagefind runs at once, at most.
    """
    if not available():
        return _Indexing(None)
    posts = [page for page in pages if page.post and page.file in report.files]
    if not posts:
        return _Indexing(IndexRun())    # nothing to index (Pagefind refuses an empty site)
    shas = {page.file: report.files[page.file]["sha"] for page in posts}
    parts = _parts(pages, shas)
    run = IndexRun(posts=len(posts), parts=len(parts))
    old = _by_part(index_entries(manifest), parts)
    indexing = _Indexing(run, folder, previous, report, work)
    shutil.rmtree(work, ignore_errors=True)
    fresh, kept = [], []
    for part, (key, members) in parts.items():
        mine = old.get(part, {})
        same = previous is not None and mine and all(e.get("fingerprint") == key
                                                     for e in mine.values())
        (kept if same else fresh).append(_Part(part, key, members, mine, manifest))
    # Pagefind first (it is what the build waits for last), then the links of
    # the parts carried over; one whose files are gone is made after all.
    indexing.start(fresh, jobs)
    indexing.start([part for part in kept
                    if not _carry_all(previous, folder, part.old, report)], jobs)
    run.made = len(indexing.todo)
    return indexing


@dataclass
class _Part:
    """One part of the index that Pagefind makes again."""

    folder: str                  # where its files go in the output ("pagefind/...")
    key: str
    posts: list                  # its posts' pages
    old: dict                    # the last build's manifest entries of its files
    manifest: dict               # the last build's whole manifest
    process: object = None
    index: object = None         # the folder Pagefind writes into
    error: object = None         # a SearchIndexError
    placed: list = None          # [(file, manifest entry, written)] once in the build folder


class _Indexing:
    """The parts of an index under way (Pagefind runs in threads of its own)."""

    def __init__(self, run, folder=None, previous=None, report=None, work=None):
        self.run, self.folder, self.previous = run, folder, previous
        self.report, self.work = report, work
        self.todo = []
        self.started = time.perf_counter()
        self._pool = None
        self._futures = []
        self._lock = threading.Lock()
        self._cancelled = False
        self._memory = None          # this build's scratch folder in memory, if any

    def start(self, parts, jobs):
        """Start Pagefind on each of ``parts``, ``jobs`` at a time (with any started before).

        The parts of the first call are written in memory if there is room for
        them all; those of a later call, on disk.
        """
        if not parts:
            return
        if self._pool is None:
            self._memory = _memory_folder(self.folder, [p for part in parts for p in part.posts])
            self._pool = ThreadPoolExecutor(max_workers=max(1, jobs),
                                            thread_name_prefix="pagefind")
            scratch = self._memory or self.work
        else:
            scratch = self.work
        for part in parts:
            number = len(self.todo)
            self.todo.append(part)
            self._futures.append(self._pool.submit(self._make, part, number, scratch))

    def _make(self, part, number, scratch):
        try:
            site = self.work / f"site-{number}"
            part.index = scratch / f"index-{number}"
            _link_posts(self.folder, part.posts, site)
            with self._lock:
                if self._cancelled:
                    return
                part.process = _start_pagefind(site, part.index)
            _wait_for_pagefind(part.process, part.index)
            # Placed here, while the build goes on with the listings: copying
            # a part's files into the build folder is mostly file creation.
            part.placed = self._place_part(part)
        except SearchIndexError as exc:
            part.error = exc
        except OSError as exc:      # linking its posts' pages, or placing its files
            part.error = SearchIndexError(str(exc))

    def finish(self):
        """Wait for Pagefind and place its files; the :class:`IndexRun`."""
        if not self.todo:
            return self.run
        try:
            for future in self._futures:
                future.result()
            for part in self.todo:
                if part.error is None:
                    self._record(part)
            for part in self.todo:
                if part.error is not None:
                    self.failed(part)
        finally:
            self._pool.shutdown()
            self._clean()
        self.run.ran = True
        self.run.seconds = time.perf_counter() - self.started
        return self.run

    def _place_part(self, part):
        """Put ``part``'s files in the build folder (in its thread); what was placed."""
        bundle = part.folder == search_parts.BUNDLE
        placed, made = [], set()
        try:
            for relative in _relative_files(part.index):
                if search_parts.kept(relative, bundle):
                    placed.append(_place(part.index / relative, f"{part.folder}/{relative}",
                                         part.key, self.folder, self.previous, part.manifest,
                                         made))
        except OSError:
            for name, _entry, _written in placed:     # none of a part, rather than half
                (self.folder / name).unlink(missing_ok=True)
            raise
        return placed

    def _record(self, part):
        """Enter ``part``'s placed files in the report (in the build's own thread)."""
        for name, entry, written in part.placed:
            self.report.files[name] = entry
            if written:
                self.report.written += 1
                self.report.new_files.add(name)

    def failed(self, part):
        self.report.page_errors.append(f"{SEARCH_URL}: the search index was not made: "
                                       f"{part.error}")
        _keep_last_index(self.folder, self.previous, part.old, self.report)

    def cancel(self):
        """Stop Pagefind, if running (the build failed)."""
        if self._pool is None:
            return
        with self._lock:
            self._cancelled = True
            running = [part.process for part in self.todo if part.process is not None]
        for process in running:
            if process.poll() is None:
                process.kill()
        self._pool.shutdown()
        self._clean()

    def _clean(self):
        for scratch in (self.work, self._memory):
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)


def _link_posts(folder, posts, site):
    """Hard links in ``site`` to ``posts``' pages in ``folder``, in the same layout."""
    for parent in {(site / page.file).parent for page in posts} | {site}:
        parent.mkdir(parents=True, exist_ok=True)
    for page in posts:
        workers.link_or_copy(folder / page.file, site / page.file)


def _start_pagefind(site, out):
    """Pagefind started over the pages in ``site``, writing into ``out``."""
    command = [pagefind()[0], "--site", str(site), "--output-path", str(out),
               "--glob", POST_GLOB, *PAGEFIND_FLAGS]
    try:
        # Its own folder as working directory: no pagefind.yml of the project is read.
        return subprocess.Popen(command, cwd=site, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        raise SearchIndexError(str(exc)) from None


def _memory_folder(folder, posts):
    """A new folder in memory (tmpfs) for Pagefind to write into, if there is room; else None.

    Pagefind writes its files (one per post, and the index's parts) from
    many threads at once; on a disk file system they queue for the folder's
    lock (on ext4 here, 3 to 6 times the system time they take in memory).
    The build then copies them into place one by one.
    """
    needed = 2 * sum((folder / page.file).stat().st_size for page in posts) + MEMORY_MARGIN
    try:
        room = os.statvfs(MEMORY_FOLDER)
        if (os.access(MEMORY_FOLDER, os.W_OK | os.X_OK)
                and room.f_bavail * room.f_frsize >= needed):
            _remove_abandoned(MEMORY_FOLDER)
            return Path(tempfile.mkdtemp(prefix=f"{SCRATCH}{os.getpid()}-", dir=MEMORY_FOLDER))
    except OSError:
        pass
    return None


def _remove_abandoned(memory):
    """Remove our scratch folders left in ``memory`` by builds that were killed.

    Only folders (not links) of this user, named by a process that is gone.
    """
    for entry in os.scandir(memory):
        pid = entry.name[len(SCRATCH):].split("-", 1)[0]
        if not (entry.name.startswith(SCRATCH) and pid.isdigit()):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not (stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid()):
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            continue


def _wait_for_pagefind(process, out):
    """``out``, the folder Pagefind wrote the index into, once it is done."""
    try:
        stdout, stderr = process.communicate(timeout=3600)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise SearchIndexError("pagefind ran for over an hour") from None
    if process.returncode != 0 or not (out / "pagefind.js").is_file():
        said = (stderr.strip() or stdout.strip()).splitlines()[-5:]
        raise SearchIndexError(f"pagefind exited with status {process.returncode}: "
                               + " / ".join(said))
    return out


def _relative_files(root):
    """Every file under ``root``, as sorted ``/``-separated relative names."""
    found = []
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            found.append(os.path.relpath(path, root).replace(os.sep, "/"))
    return sorted(found)


def _place(source, name, key, folder, previous, manifest, made):
    """Write one index file into ``folder``, or link the last build's if the bytes are the same.

    A part has thousands of small files (one per post): plain paths, and each
    folder made once (``made``: the folders made so far).

    :return: ``(name, its manifest entry, True if written)``.
    """
    with open(source, "rb") as handle:
        data = handle.read()
    sha = hashlib.sha256(data).hexdigest()
    target = os.path.join(folder, name)
    _make_parent(target, made)
    written = not (previous is not None
                   and workers.same_as_before(previous / name, manifest.get(name), sha, data))
    if written:
        with open(target, "wb") as handle:
            handle.write(data)
    else:
        workers.link_or_copy(previous / name, target)
    return name, {"url": "/" + name, "fingerprint": key, "sha": sha, "made_by": MADE_BY}, written


def _make_parent(target, made):
    """Make the folder of the path ``target``, unless it is in ``made`` (the folders made so far)."""
    parent = os.path.dirname(target)
    if parent not in made:
        os.makedirs(parent, exist_ok=True)
        made.add(parent)


def _carry(previous, folder, name, made):
    """Link the last build's file ``name`` into ``folder``; its path there."""
    target = os.path.join(folder, name)
    _make_parent(target, made)
    workers.link_or_copy(os.path.join(previous, name), target)
    return target


def _carry_all(previous, folder, entries, report):
    """Link every file of the last build's index into ``folder``; False (and none) if one is gone.

    Plain paths, and each folder made once, as in :func:`_place`.
    """
    if previous is None or not entries:
        return False
    linked, made = [], set()
    try:
        for name in entries:
            linked.append(_carry(previous, folder, name, made))
    except OSError:
        for path in linked:
            os.unlink(path)
        return False
    report.files.update(entries)
    return True


def _keep_last_index(folder, previous, old, report):
    """After a failure: the last build's index, if any, marked to be made again next time."""
    if previous is None:
        return
    made = set()
    for name, entry in old.items():
        try:
            _carry(previous, folder, name, made)
        except OSError:
            continue
        report.files[name] = dict(entry, fingerprint="")
