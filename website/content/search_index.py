"""Full-text search of the posts: an SQLite FTS5 index kept in step with a
:class:`~.collection.PostCollection`.

The index lives in memory, one per process. Each process (mod_wsgi runs
several) already holds its own snapshot of the posts folder, and its index
follows exactly that snapshot: nothing shared to lock across processes,
nothing on disk to go stale, to end up in the repository or to be served.
Building it costs a fraction of reading the posts, and after a change only
the posts that changed are indexed again. One connection serves every
thread, under a lock: a query takes a few milliseconds. No Flask here.

The index holds no copy of the posts' text (about a quarter of the memory
it would take otherwise). Its content table is a view whose columns come
from the posts themselves, through a Python function: FTS5 reads it only to
mark the matched words of one page of results.
"""
import datetime as dt
import html
import logging
import sqlite3
import threading
import time
import weakref
from dataclasses import dataclass, field

from .search_text import MARK_END, MARK_START, plain_field, plain_text

logger = logging.getLogger(__name__)

# Matching ignores case and accents (remove_diacritics 2 also folds letters
# such as "ø"), and English words are stemmed: "deploying" finds "deploy".
# Dates and drafts sit in a plain table beside it: filtering on FTS5 columns
# would load every matching post's whole text.
TOKENIZE = "tokenize = 'porter unicode61 remove_diacritics 2'"
COLUMNS = "title, tags, summary, body"
SCHEMA = [
    f"CREATE VIRTUAL TABLE posts USING fts5({COLUMNS}, content = texts, "
    f"content_rowid = id, {TOKENIZE})",
    # post_text(rowid, n): field n of the post indexed under rowid (see _values).
    "CREATE VIEW texts AS SELECT rowid AS id, post_text(rowid, 0) AS title, "
    "post_text(rowid, 1) AS tags, post_text(rowid, 2) AS summary, "
    "post_text(rowid, 3) AS body FROM dates",
    "CREATE TABLE dates (rowid INTEGER PRIMARY KEY, published REAL NOT NULL, "
    "draft INTEGER NOT NULL)",
    "CREATE INDEX dates_published ON dates (published)",
    "CREATE INDEX dates_drafts ON dates (draft) WHERE draft = 1",
]
# FTS5 gathers new terms in memory and writes them out as a segment each time
# they pass this many bytes (1 MB by default), merging segments as it goes.
# Room for every post's terms at once lets the first build write one segment,
# with no merges: about a quarter faster. Memory is not kept: the buffer is
# freed at the end of each update.
HASH_BYTES = 16 * 2**20
# bm25 weights of title, tags, summary and body: a word in the title counts most.
WEIGHTS = (10.0, 5.0, 3.0, 1.0)
SNIPPET_TOKENS = 32
ELLIPSIS = "\u2026"
# A query still running after this many seconds is stopped (a safety net:
# the query syntax allowed keeps real searches far below it).
TIME_LIMIT = 2.0
PROGRESS_STEPS = 10_000     # SQLite instructions between looks at the clock

# The posts a reader may not see yet: drafts, and those dated after :now.
# Usually none or a few, so leaving them out costs next to nothing.
_PUBLIC = """AND rowid NOT IN (SELECT rowid FROM dates WHERE draft = 1
    UNION ALL SELECT rowid FROM dates WHERE published > :now)"""
_COUNT = "SELECT count(*) FROM posts WHERE posts MATCH :match {public}"
# Every match is scored, but only one page of them is sorted and kept.
_RANKED = f"""SELECT rowid FROM posts WHERE posts MATCH :match {{public}}
    ORDER BY bm25(posts, {", ".join(map(str, WEIGHTS))}), rowid
    LIMIT :limit OFFSET :offset"""
# Marks for one page of results; the rowids are the index's own integers.
_MARKED = """SELECT rowid, highlight(posts, 0, :start, :end),
    snippet(posts, 2, :start, :end, :ellipsis, :tokens),
    snippet(posts, 3, :start, :end, :ellipsis, :tokens)
    FROM posts WHERE posts MATCH :match AND rowid IN ({rowids})"""
_INSERT = "INSERT INTO posts (rowid, title, tags, summary, body) VALUES (?, ?, ?, ?, ?)"
# An index without its own copy of the text forgets a row only when given
# the very values it indexed.
_FORGET = ("INSERT INTO posts (posts, rowid, title, tags, summary, body) "
           "VALUES ('delete', ?, ?, ?, ?, ?)")
# How long a search waits for the first build of the index (it runs in the
# background from the site's first request: under a second at 10,000 posts).
FIRST_BUILD_WAIT = 60.0


class SearchError(Exception):
    """Search can't answer; the message is for readers (no SQL in it)."""


class SearchUnavailable(SearchError):
    """This Python's SQLite has no FTS5."""


class SearchTimeout(SearchError):
    """A query ran past :data:`TIME_LIMIT`."""


class SearchNotReady(SearchError):
    """The index is still being built for the first time."""


@dataclass(frozen=True)
class Hit:
    """One post found: its title and a snippet as HTML (only ``<mark>`` unescaped).

    ``snippet`` is "" when the words matched only the title or the tags.
    """

    post: object
    title_html: str
    snippet_html: str


@dataclass(frozen=True)
class Results:
    """One page of results for a query, best first."""

    hits: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 10

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))


class SearchIndex:
    """The posts of the latest snapshot, searchable; give :meth:`update` each snapshot.

    :param tz: the time zone of dates written without one (the collection's).
    :param start_at_once: False to hold the first build until :meth:`start`.
    """

    def __init__(self, tz=dt.timezone.utc, start_at_once=True):
        self.tz = tz
        self._may_start = start_at_once
        self._start_lock = threading.Lock()     # one first build
        self._lock = threading.Lock()            # the database and the maps below
        self._update_lock = threading.Lock()     # one update at a time
        self._rowids = {}     # path -> rowid
        self._posts = {}      # rowid -> Post
        self._next_rowid = 1
        self._latest = None             # the newest snapshot followed
        self._indexed = None            # the snapshot the index holds
        self._built = threading.Event()     # the first build is done
        self._builder = None
        self._shown = {}      # rowid -> values, while one page of results is marked
        self._deadline = [float("inf")]     # when the running query must stop
        self.unavailable_reason = ""
        self._db = self._connect()

    def __repr__(self):
        state = f"{len(self._posts)} posts" if self.available else "unavailable"
        return f"<SearchIndex {state}>"

    def __len__(self):
        """The number of posts indexed, drafts included."""
        return len(self._posts)

    def size_bytes(self):
        """How much memory the index's database takes (0 when unavailable)."""
        if not self.available:
            return 0
        with self._lock:
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            return pages * self._db.execute("PRAGMA page_size").fetchone()[0]

    @property
    def available(self):
        """False when this Python's SQLite lacks FTS5: searching then raises."""
        return self._db is not None

    def _connect(self):
        db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        # As below, the function must not keep the index alive.
        texts = weakref.WeakMethod(self._text)
        db.create_function("post_text", 2, lambda rowid, n: texts()(rowid, n),
                           deterministic=True)
        try:
            _create_tables(db)
        except sqlite3.OperationalError as exc:
            db.close()
            self.unavailable_reason = (f"SQLite {sqlite3.sqlite_version} in this Python has "
                                       f"no full-text search (FTS5): {exc}")
            logger.warning("Search is unavailable: %s", self.unavailable_reason)
            return None
        # Not a method of self: the connection must not keep the index alive,
        # so that it is closed when the index goes.
        deadline = self._deadline
        db.set_progress_handler(lambda: time.monotonic() > deadline[0], PROGRESS_STEPS)
        # Closed when the index goes, but not at exit: the first build's thread
        # may still be writing then, and closing under it crashes the process.
        weakref.finalize(self, db.close).atexit = False
        return db

    # --- keeping up with the posts ---------------------------------------
    def follow(self, snapshot):
        """Keep the index on ``snapshot`` (a collection's ``on_change`` listener).

        The first build runs in a background thread, so that the site's first
        request doesn't wait for it (searches do); later changes are indexed
        at once, before any reader sees the new snapshot.
        """
        self._latest = snapshot
        if self._builder is None:
            self._start_first_build()
        elif self._built.is_set():
            self._catch_up()

    def start(self):
        """Let the first build begin, now if a snapshot was followed, else with the first.

        The app calls this once its first page is answered: the build's
        thread would otherwise take turns with that page for the interpreter.
        """
        self._may_start = True
        self._start_first_build()

    def _start_first_build(self):
        with self._start_lock:
            if self._builder is None and self._may_start and self._latest is not None:
                self._builder = threading.Thread(target=self._catch_up, name="search-index",
                                                 daemon=True)
                self._builder.start()

    def _catch_up(self):
        try:
            while self._latest is not None and self._indexed is not self._latest:
                self.update(self._latest)
        except Exception:
            logger.exception("Building the search index failed")
        finally:
            self._built.set()

    def update(self, snapshot):
        """Index the posts of ``snapshot`` that changed since the last one.

        A post is unchanged when it is the very same object (the collection
        keeps the objects of unchanged files). Searches wait only while the
        changes are written. Returns ``(indexed, removed)``.
        """
        if not self.available:
            self._indexed = snapshot
            return 0, 0
        with self._update_lock:
            current = {post.path: post for post in snapshot.posts}
            gone = [rowid for path, rowid in self._rowids.items()
                    if current.get(path) is not self._posts[rowid]]
            fresh = [post for path, post in current.items()
                     if self._posts.get(self._rowids.get(path)) is not post]
            rowids = range(self._next_rowid, self._next_rowid + len(fresh))
            self._next_rowid += len(fresh)
            dates = [(rowid, post.published_at(self.tz).timestamp(), int(bool(post.draft)))
                     for post, rowid in zip(fresh, rowids)]
            with self._lock:
                # The rows are made as they are written: the posts' plain
                # text is never all in memory at once.
                self._write([(rowid, *_values(self._posts[rowid])) for rowid in gone],
                            ((rowid, *_values(post)) for post, rowid in zip(fresh, rowids)),
                            dates)
                for rowid in gone:
                    del self._rowids[self._posts.pop(rowid).path]
                for post, rowid in zip(fresh, rowids):
                    self._rowids[post.path] = rowid
                    self._posts[rowid] = post
            self._indexed = snapshot
        return len(fresh), len(gone)

    def _write(self, gone, rows, dates):
        self._db.execute("BEGIN")
        try:
            self._db.executemany(_FORGET, gone)
            self._db.executemany("DELETE FROM dates WHERE rowid = ?", [(row[0],) for row in gone])
            self._db.executemany(_INSERT, rows)
            self._db.executemany("INSERT INTO dates VALUES (?, ?, ?)", dates)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    # --- searching --------------------------------------------------------
    def search(self, query, now, preview=False, page=1, per_page=10):
        """:class:`Results` for a parsed ``query`` (see :mod:`.search_query`).

        :param now: aware datetime; posts dated later, and drafts, are left
            out unless ``preview``.
        :raise SearchUnavailable: no FTS5 here.
        :raise SearchTimeout: the query ran past :data:`TIME_LIMIT`.
        """
        if not self.available:
            raise SearchUnavailable(self.unavailable_reason)
        if not query:
            return Results(page=page, per_page=per_page)
        self._wait_for_first_build()
        params = {"match": query.fts(), "now": now.timestamp(), "limit": per_page,
                  "offset": (page - 1) * per_page}
        public = "" if preview else _PUBLIC
        with self._lock:
            self._deadline[0] = time.monotonic() + TIME_LIMIT
            try:
                total = self._db.execute(_COUNT.format(public=public), params).fetchone()[0]
                shown = []
                if params["offset"] < total:
                    ranked = self._db.execute(_RANKED.format(public=public), params)
                    shown = [row[0] for row in ranked]
                marked = self._marked(params["match"], shown)
                posts = [self._posts[rowid] for rowid in shown]
            except sqlite3.OperationalError as exc:
                if "interrupted" in str(exc):
                    raise SearchTimeout(f"the search took over {TIME_LIMIT:g} s") from exc
                raise
            finally:
                self._deadline[0] = float("inf")
        hits = [Hit(post, *marked.get(rowid, (marked_html(post.title), "")))
                for post, rowid in zip(posts, shown)]
        return Results(hits, total, page, per_page)

    def wait_until_built(self, timeout=FIRST_BUILD_WAIT):
        """Wait for the first build (started now if it was held); False if it is still running."""
        self.start()
        if self._builder is None or self._built.is_set():
            return True
        return self._built.wait(timeout)

    def _wait_for_first_build(self):
        if not self.wait_until_built():
            raise SearchNotReady("the search index is still being built; try again shortly")
        if self._latest is not None and self._indexed is not self._latest:
            self._catch_up()        # a change came while it was being built

    def _marked(self, match, rowids):
        """``{rowid: (title HTML, snippet HTML)}``: the body's best passage, else
        the summary's; "" when only the title or the tags matched."""
        if not rowids:
            return {}
        found = {}
        params = {"start": MARK_START, "end": MARK_END, "ellipsis": ELLIPSIS,
                  "tokens": SNIPPET_TOKENS, "match": match}
        sql = _MARKED.format(rowids=", ".join(str(int(rowid)) for rowid in rowids))
        self._shown = {}
        try:
            for rowid, title, summary, body in self._db.execute(sql, params):
                snippet = next((s for s in (body, summary) if s and MARK_START in s), "")
                found[rowid] = (marked_html(title), marked_html(snippet))
        finally:
            self._shown = {}
        return found

    def _text(self, rowid, n):
        """The content view's field ``n`` of the post under ``rowid`` (with the lock held)."""
        values = self._shown.get(rowid)
        if values is None:
            post = self._posts.get(rowid)
            values = self._shown[rowid] = _values(post) if post is not None else ("",) * 4
        return values[n]


def _values(post):
    """What the index holds of ``post``: title, tags, summary and body as plain text.

    The same post gives the same values every time (the index forgets a row
    only when given them again).
    """
    return (plain_field(post.title), plain_field(", ".join(post.tags)),
            plain_field(post.meta.get("summary") or ""), plain_text(post.body))


def fts5_available():
    """True when this Python's SQLite can build the index (has FTS5)."""
    db = sqlite3.connect(":memory:")
    try:
        _create_tables(db)
    except sqlite3.OperationalError:
        return False
    finally:
        db.close()
    return True


def _create_tables(db):
    for statement in SCHEMA:
        db.execute(statement)
    db.execute("INSERT INTO posts (posts, rank) VALUES ('hashsize', ?)", (HASH_BYTES,))


def marked_html(text):
    """``text`` HTML-escaped, with the index's match marks as ``<mark>`` elements
    (white space runs made single spaces: the index keeps the body's line breaks)."""
    escaped = html.escape(" ".join((text or "").split()), quote=False)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
