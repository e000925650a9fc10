"""All posts (or pages) in a folder, kept fresh by a cheap, rate-limited mtime check.

Only files that changed since the last look are read again; an unchanged
post keeps its parsed header and its rendered HTML. Bad posts are logged
once (per version of the file) and left out; the rest keep serving.
:class:`PageCollection` is the same machinery for the standalone pages.
"""
import bisect
import logging
import math
import os
import threading
import time
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from . import read_cache
from .errors import DuplicateSlugError, PostError
from .page import Page
from .post import Post, tag_slug
from .post_list import PostList, derived

logger = logging.getLogger(__name__)


def _document_file(name):
    """True for the name of a document's file: ``*.md``, not hidden."""
    return name.endswith(".md") and not name.startswith(".")


@dataclass
class Snapshot:
    """One consistent view of the folder: never changed after it is built."""

    posts: list = field(default_factory=list)      # good posts, newest first
    by_slug: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)     # PostError, one per bad file
    stamps: dict = field(default_factory=dict)     # path (str) -> (mtime_ns, size)
    entries: dict = field(default_factory=dict)    # path (str) -> Post or PostError
    # Non-drafts, newest first, with their dates negated as timestamps
    # (ascending), so the ones published by a given moment are one bisect away.
    releases: list = field(default_factory=list)
    release_keys: list = field(default_factory=list)
    # The PostList handed out for each set of visible posts (keyed by how
    # many releases are still ahead), so what is derived from it is kept.
    views: dict = field(default_factory=dict)


class PostCollection:
    """The posts in ``folder``.

    :param check_interval: seconds between looks at the folder; 0 looks on
        every :meth:`refresh`.
    :param tz: the time zone of dates written without one.
    """

    document = Post          # the class each file is read as
    kind = "post"            # in messages
    recursive = False        # posts: the folder's own files; pages: every subfolder too
    cacheable = True         # may be kept on disk between processes (see keep_on_disk)

    def __init__(self, folder, check_interval=2.0, tz=dt.timezone.utc, **options):
        self.folder = Path(folder)
        self.options = options          # passed to ``document.from_file``
        self.check_interval = check_interval
        self.tz = tz
        self._snapshot = Snapshot()
        self._checked_at = None
        self._seen_folder = None
        self._lock = threading.Lock()
        self._listeners = []
        self._disk = None
        self._unsaved = None            # a Snapshot read since the last save
        self._saving = threading.Lock()

    def keep_on_disk(self, path):
        """Start from what the file ``path`` keeps of the folder (see
        :mod:`.read_cache`), and let :meth:`save` keep what is read since;
        ``None`` keeps nothing. Call before the folder is first read."""
        self._disk = (read_cache.ReadCache(path, self.folder, self.document, self.tz)
                      if path and self.cacheable and not self.options else None)

    @property
    def unsaved(self):
        """True if posts were read from their files since the last :meth:`save`."""
        return self._unsaved is not None

    def save(self):
        """Write the posts as read to the file of :meth:`keep_on_disk`, if any were
        read since the last save. Slow at 10,000 posts (a tenth of a second):
        the app calls it once a request is answered, in a thread of its own."""
        with self._saving:
            with self._lock:
                snapshot, self._unsaved = self._unsaved, None
            if snapshot is not None and self._disk is not None:
                self._disk.save(snapshot.entries, snapshot.stamps)

    def __repr__(self):
        return (f"<{type(self).__name__} {str(self.folder)!r}: "
                f"{len(self._snapshot.posts)} {self.kind}s>")

    # --- reading --------------------------------------------------------
    def refresh(self, force=False, log=True):
        """Pick up added, edited and deleted files, at most once per interval.

        :param log: log each newly found bad post (``check`` prints them instead).
        """
        if not force and self._fresh():
            return
        with self._lock:
            if not force and self._fresh():
                return
            folder_stamp = self._folder_stamp()
            stamps = self._scan()
            if self._checked_at is None or stamps != self._snapshot.stamps:
                old = self._snapshot
                if self._checked_at is None and self._disk is not None:
                    entries, kept = self._disk.load()
                    old = Snapshot(entries=entries, stamps=kept)
                snapshot = self._build(stamps, old, log)
                if self._disk is not None:
                    self._keep(snapshot, old)
                self._notify(snapshot)
                self._snapshot = snapshot
            self._checked_at = time.monotonic()
            self._seen_folder = folder_stamp

    def _fresh(self):
        """Whether the last look still holds: within the interval, and no file
        added to, removed from or renamed in the folder since (one ``stat``,
        so a deleted post is gone at once and an edit shows within the interval).
        """
        if self._checked_at is None:
            return False
        if self.check_interval == math.inf:     # one look only (a build)
            return True
        return (time.monotonic() - self._checked_at < self.check_interval
                and self._folder_stamp() == self._seen_folder)

    def _keep(self, snapshot, old):
        """Mark ``snapshot`` for :meth:`save` unless its good posts are those of ``old``."""
        def good(entries):
            return {path: post for path, post in entries.items() if isinstance(post, self.document)}

        now, before = good(snapshot.entries), good(old.entries)
        if now.keys() != before.keys() or any(post is not before[path]
                                              for path, post in now.items()):
            self._unsaved = snapshot

    def _folder_stamp(self):
        try:
            return os.stat(self.folder).st_mtime_ns
        except OSError:
            return None

    def on_change(self, listener):
        """Call ``listener(snapshot)`` with every new :class:`Snapshot`, once the
        folder is read and after each change, before any reader sees it.

        Unchanged files keep their :class:`Post` objects from one snapshot to
        the next, so a listener can tell what changed by identity.
        """
        with self._lock:
            self._listeners.append(listener)
            if self._checked_at is not None:
                self._notify(self._snapshot, [listener])

    def _notify(self, snapshot, listeners=None):
        for listener in listeners or self._listeners:
            try:
                listener(snapshot)
            except Exception:  # a listener's failure must not stop the site serving
                logger.exception("Updating %r after a change of %s failed", listener, self.folder)

    def _scan(self, folder=None):
        stamps = {}
        try:
            entries = list(os.scandir(folder or self.folder))
        except FileNotFoundError:
            if folder is None:
                self._missing_folder()
            return stamps
        for entry in entries:
            if self.recursive and not entry.name.startswith(".") and entry.is_dir():
                stamps.update(self._scan(entry.path))
                continue
            if _document_file(entry.name):
                # Anything else named *.md (a folder, a broken link) is read,
                # fails, and is reported like any bad post.
                # Keyed by the path as text: a Path for each of 10,000 posts
                # would be most of a look at the folder.
                try:
                    info = entry.stat()
                    stamps[entry.path] = (info.st_mtime_ns, info.st_size)
                except OSError:
                    stamps[entry.path] = (0, -1)
        return stamps

    def has_fewer_files_than(self, count):
        """True if the folder holds fewer than ``count`` documents' files and no
        subfolder (which may hold more); looks at no more entries than it takes
        to tell. False if the folder can't be read (its read reports why)."""
        found = 0
        try:
            with os.scandir(self.folder) as entries:
                for entry in entries:
                    if _document_file(entry.name):
                        found += 1
                        if found >= count:
                            return False
                    elif not entry.name.startswith(".") and entry.is_dir():
                        return False
        except OSError:
            return False
        return True

    def read_afresh(self):
        """Each good document of the folder, read from its file, one at a time
        (last file name first), none kept: for a process working ahead of the
        collection's own first read (the build's head start)."""
        for path, stamp in sorted(self._scan().items(), reverse=True):
            try:
                yield self._read(path, stamp)
            except PostError:
                continue        # reported by the collection's own read

    def _read(self, path, stamp):
        """The document in the file ``path``, as :meth:`_scan` found it (``stamp``).

        :raise PostError: a bad file.
        """
        return self.document.from_file(path, mtime_ns=stamp[0], **self.options)

    def _missing_folder(self):
        logger.error("%ss folder %s does not exist", self.kind, self.folder)

    def _build(self, stamps, old, log):
        entries = {}
        # By the paths' parts, as Paths sort.
        for path, stamp in sorted(stamps.items(), key=lambda item: item[0].split(os.sep)):
            previous = old.entries.get(path)
            if previous is not None and old.stamps.get(path) == stamp:
                entries[path] = previous
                continue
            try:
                entries[path] = self._read(path, stamp)
            except PostError as exc:
                entries[path] = exc
                if log:
                    logger.error("Skipping %s %s", self.kind, exc)
        return self._index(entries, stamps, log)

    def _index(self, entries, stamps, log):
        claims = {}
        for post in entries.values():
            if isinstance(post, self.document):
                claims.setdefault(post.slug, []).append(post)
        by_slug, errors = {}, [e for e in entries.values() if isinstance(e, PostError)]
        for slug, owners in claims.items():
            if len(owners) == 1:
                by_slug[slug] = owners[0]
                continue
            names = ", ".join(str(p.path) for p in owners)
            for post in owners:
                error = DuplicateSlugError(post.path, f"{self.slug_name} '{slug}' is claimed by "
                                           f"{names}; neither is published until one changes",
                                           line=None, field="slug")
                error.slug = slug
                errors.append(error)
            if log:
                logger.error("Skipping %ss: %s '%s' is claimed by %s", self.kind,
                             self.slug_name, slug, names)
        posts = PostList(self._sorted(by_slug.values()))
        releases = [p for p in posts if not p.draft]
        keys = [-p.published_at(self.tz).timestamp() for p in releases]
        return Snapshot(posts, by_slug, errors, stamps, entries, releases, keys)

    slug_name = "slug"

    def _sorted(self, posts):
        return sorted(posts, key=lambda p: (p.published_at(self.tz), p.slug), reverse=True)

    # --- querying -------------------------------------------------------
    @property
    def _current(self):
        # The folder is first read when first asked for, not at import time.
        if self._checked_at is None:
            self.refresh()
        return self._snapshot

    @property
    def errors(self):
        """One :class:`PostError` per file that isn't published because of it."""
        return list(self._current.errors)

    def all(self):
        """Every good post, drafts and future ones included, newest first."""
        return list(self._current.posts)

    def visible(self, now, preview=False):
        """Posts a reader may see at ``now`` (aware), newest first.

        :param preview: also drafts and posts dated in the future (the dev
            server and ``SHOW_DRAFTS``).
        """
        snapshot = self._current
        if preview:
            return snapshot.posts
        # Posts dated after ``now`` come first (newest first): skip past them.
        ahead = bisect.bisect_left(snapshot.release_keys, -now.timestamp())
        view = snapshot.views.get(ahead)
        if view is None:
            if len(snapshot.views) > 4:    # time only moves on: forget old moments
                snapshot.views.clear()
            view = snapshot.views.setdefault(ahead, PostList(snapshot.releases[ahead:]))
        return view

    def get(self, slug):
        """The post with ``slug`` (whatever its state), or None."""
        return self._current.by_slug.get(slug)


def tag_index(posts):
    """``{tag_slug: (display name, [posts])}`` for ``posts``, keeping their order.

    The display name is the spelling used first (by the newest post). Kept
    on a :class:`PostList`: don't change what it returns.
    """
    return derived(posts, "tag_index", lambda: _tag_index(posts))


def _tag_index(posts):
    index = {}
    for post in posts:
        for tag in post.tags:
            slug = tag_slug(tag)
            if slug:
                index.setdefault(slug, (tag, []))[1].append(post)
    return index


class PageCollection(PostCollection):
    """The standalone pages in ``folder`` and its subfolders, by URL path.

    ``options`` (``template_exists``) go to :class:`~.page.Page`. A missing
    folder is simply no pages.
    """

    document = Page
    kind = "page"
    # Pages are few, and whether one is good depends on the templates too.
    cacheable = False
    recursive = True
    slug_name = "address"

    def __init__(self, folder, check_interval=2.0, tz=dt.timezone.utc, **options):
        super().__init__(folder, check_interval, tz, root=Path(folder), **options)

    def _missing_folder(self):
        pass

    def _sorted(self, pages):
        return sorted(pages, key=lambda page: page.slug)

    def visible(self, now, preview=False):
        """Pages a reader may see (drafts too with ``preview``), by address."""
        pages = self._current.posts
        return list(pages) if preview else [page for page in pages if not page.draft]

    def navigation(self):
        """``[(label, path)]`` of the pages with a ``nav`` label (drafts too), by ``nav_order``."""
        pages = [page for page in self.all() if page.nav]
        pages.sort(key=lambda page: (page.nav_order, page.nav.lower(), page.slug))
        return [(page.nav, page.url_path) for page in pages]
