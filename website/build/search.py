"""Search on static hosts: a ``/search`` page with Pagefind's UI, and Pagefind's index.

The app's ``/search`` asks SQLite on the server; a static host has no
server, so the build writes ``search.html`` (``templates/search_static.html``)
and runs Pagefind (the ``pagefind`` package's bundled binary) over the
posts' pages, which makes the index the page's script searches in the
reader's browser, under ``pagefind/``.

Pagefind runs only when a post's page changed (or the index is missing, or
was made by another Pagefind); otherwise the last build's index is carried
over. Its files go through the same compare-then-write as the pages: a file
with the same bytes as the last build's is hard-linked from it, so it keeps
its mtime.
"""
import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import render_template

from ..content import search_query
from ..web.public import public_posts
from . import workers

SEARCH_URL = "/search"
BUNDLE = "pagefind"              # the index's folder in the output: /pagefind/...
MADE_BY = "pagefind"             # marks the index's files in the build's manifest
PAGEFIND_PIN = "pagefind[bin]==1.5.2"
# Pagefind's settings (command-line flags; part of what decides a rerun). Heading
# permalinks ("#") are not words of the post.
PAGEFIND_FLAGS = ("--quiet", "--exclude-selectors", ".permalink")
# A post's page: the article is indexed (data-pagefind-body in post.html).
POST_GLOB = "**/*.html"
# Where Pagefind's output goes when there is room (see _index_folder).
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

    def summary(self):
        if not self.posts:
            return "no posts to index for search"
        if not self.ran:
            return f"search index unchanged, {self.posts} posts"
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
        html = render_template("search_static.html", query=search_query.parse(""),
                               results=None, hits=[], message="", noindex=True,
                               pagefind=available(), any_posts=bool(public_posts()))
    return html.encode("utf-8")


def index_key(post_shas):
    """What the index depends on: Pagefind's version and flags, each post page's bytes.

    :param post_shas: ``[(file, sha256 of its bytes)]`` of the posts' pages.
    """
    digest = hashlib.sha256(f"{pagefind()[1]}\n{PAGEFIND_FLAGS}\n".encode())
    for name, sha in sorted(post_shas):
        digest.update(f"{name}\0{sha}\n".encode())
    return digest.hexdigest()


def index_entries(manifest):
    """The index's files in a build's manifest: ``{file: entry}``."""
    return {name: entry for name, entry in manifest.items() if entry.get("made_by") == MADE_BY}


def kept_files(pages, manifest):
    """The last build's index files, if that index is still the right one; else an empty set.

    For a build where no page changed: the posts' bytes are the manifest's.
    """
    if not available():
        return set()
    entries = index_entries(manifest)
    shas = [(page.file, manifest.get(page.file, {}).get("sha")) for page in pages if page.post]
    key = index_key(shas)
    if entries and all(entry.get("fingerprint") == key for entry in entries.values()):
        return set(entries)
    return set()


def start_index(folder, pages, previous, manifest, report, work):
    """Put the index of the posts' pages in ``folder``: carried over, or made by
    Pagefind, which runs while the caller goes on (the build renders the
    listings meanwhile); call ``finish()`` on the result for the
    :class:`IndexRun` (None without Pagefind).

    :param folder: the new build folder; only the posts' pages must be in it
        (and in ``report.files``) yet.
    :param work: a scratch folder of this output (emptied and removed at the end).
    """
    if not available():
        return _Indexing(None)
    posts = [page for page in pages if page.post and page.file in report.files]
    if not posts:
        return _Indexing(IndexRun())    # nothing to index (Pagefind refuses an empty site)
    key = index_key([(page.file, report.files[page.file]["sha"]) for page in posts])
    run = IndexRun(posts=len(posts))
    old = index_entries(manifest)
    if all(e.get("fingerprint") == key for e in old.values()) and _carry_all(
            previous, folder, old, report):
        return _Indexing(run)
    indexing = _Indexing(run, folder, previous, manifest, report, work, key, old)
    try:
        indexing.process, indexing.index = _start_pagefind(folder, posts, work)
    except SearchIndexError as exc:
        indexing.failed(exc)
    return indexing


@dataclass
class _Indexing:
    """A search index under way (``process``), or already settled."""

    run: IndexRun = None
    folder: object = None
    previous: object = None
    manifest: dict = None
    report: object = None
    work: object = None
    key: str = ""
    old: dict = None
    process: object = None
    index: object = None         # the folder Pagefind writes into (maybe outside ``work``)
    started: float = 0.0

    def __post_init__(self):
        self.started = time.perf_counter()

    def finish(self):
        """Wait for Pagefind and place its files; the :class:`IndexRun`."""
        if self.process is None:
            return self.run
        try:
            made = _wait_for_pagefind(self.process, self.index)
            for relative in _relative_files(made):
                _place(made / relative, f"{BUNDLE}/{relative}", self.key, self.folder,
                       self.previous, self.manifest, self.report)
        except SearchIndexError as exc:
            self.failed(exc)
            return self.run
        finally:
            self.process = None
            self._clean()
        self.run.ran, self.run.seconds = True, time.perf_counter() - self.started
        return self.run

    def failed(self, exc):
        self.report.page_errors.append(f"{SEARCH_URL}: the search index was not made: {exc}")
        _keep_last_index(self.folder, self.previous, self.old, self.report)
        self._clean()

    def cancel(self):
        """Stop Pagefind, if running (the build failed)."""
        if self.process is not None:
            self.process.kill()
            self.process.communicate()
            self.process = None
            self._clean()

    def _clean(self):
        for scratch in (self.work, self.index):
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)


def _start_pagefind(folder, posts, work):
    """Pagefind started over the posts' pages alone (hard links, in the same layout)."""
    shutil.rmtree(work, ignore_errors=True)
    site, out = work / "site", _index_folder(work, posts, folder)
    for parent in {(site / page.file).parent for page in posts} | {site}:
        parent.mkdir(parents=True, exist_ok=True)
    for page in posts:
        workers.link_or_copy(folder / page.file, site / page.file)
    command = [pagefind()[0], "--site", str(site), "--output-path", str(out),
               "--glob", POST_GLOB, *PAGEFIND_FLAGS]
    try:
        # Its own folder as working directory: no pagefind.yml of the project is read.
        return subprocess.Popen(command, cwd=work, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True), out
    except OSError as exc:
        shutil.rmtree(out, ignore_errors=True)
        raise SearchIndexError(str(exc)) from None


def _index_folder(work, posts, folder):
    """Where Pagefind writes the index: a folder in memory (tmpfs) if there is room.

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
    return work / "index"


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


def _place(source, name, key, folder, previous, manifest, report):
    """Write one index file into ``folder``, or link the last build's if the bytes are the same."""
    data = source.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if previous is not None and _same_as_before(previous / name, manifest.get(name), sha, data):
        workers.link_or_copy(previous / name, target)
    else:
        target.write_bytes(data)
        report.written += 1
        report.new_files.add(name)
    report.files[name] = {"url": "/" + name, "fingerprint": key, "sha": sha, "made_by": MADE_BY}


def _same_as_before(old, entry, sha, data):
    """True if the last build's file ``old`` holds ``data`` (by its manifest ``entry``, or its bytes)."""
    try:
        if entry is not None:
            return entry.get("sha") == sha and old.is_file()
        return old.stat().st_size == len(data) and old.read_bytes() == data
    except OSError:
        return False


def _carry(source, target):
    target.parent.mkdir(parents=True, exist_ok=True)
    workers.link_or_copy(source, target)


def _carry_all(previous, folder, entries, report):
    """Link every file of the last build's index into ``folder``; False (and none) if one is gone."""
    if previous is None or not entries:
        return False
    try:
        for name in entries:
            _carry(previous / name, folder / name)
    except OSError:
        shutil.rmtree(folder / BUNDLE, ignore_errors=True)
        return False
    report.files.update(entries)
    return True


def _keep_last_index(folder, previous, old, report):
    """After a failure: the last build's index, if any, marked to be made again next time."""
    if previous is None:
        return
    for name, entry in old.items():
        try:
            _carry(previous / name, folder / name)
        except OSError:
            continue
        report.files[name] = dict(entry, fingerprint="")
