"""Full-text search of the posts: an SQLite FTS5 index kept in step with a
:class:`~.collection.PostCollection`.

The index lives in memory, one per process. Each process (mod_wsgi runs
several) already holds its own snapshot of the posts folder, and its index
follows exactly that snapshot: nothing shared to lock across processes,
nothing on disk to go stale, to end up in the repository or to be served.
Building it costs a fraction of reading the posts, and after a change only
the posts that changed are indexed again. One connection serves every
thread, under a lock: a query takes a few milliseconds. No Flask here.
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
SCHEMA = [
    """CREATE VIRTUAL TABLE posts USING fts5(title, tags, summary, body,
        tokenize = 'porter unicode61 remove_diacritics 2')""",
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
HASH_BYTES = 64 * 2**20
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


class SearchError(Exception):
    """Search can't answer; the message is for readers (no SQL in it)."""


class SearchUnavailable(SearchError):
    """This Python's SQLite has no FTS5."""


class SearchTimeout(SearchError):
    """A query ran past :data:`TIME_LIMIT`."""


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
    """

    def __init__(self, tz=dt.timezone.utc):
        self.tz = tz
        self._lock = threading.Lock()            # the database and the maps below
        self._update_lock = threading.Lock()     # one update at a time
        self._rowids = {}     # path -> rowid
        self._posts = {}      # rowid -> Post
        self._next_rowid = 1
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
        weakref.finalize(self, db.close)
        return db

    # --- keeping up with the posts ---------------------------------------
    def update(self, snapshot):
        """Index the posts of ``snapshot`` that changed since the last one.

        A post is unchanged when it is the very same object (the collection
        keeps the objects of unchanged files). Searches wait only while the
        changes are written. Returns ``(indexed, removed)``.
        """
        if not self.available:
            return 0, 0
        with self._update_lock:
            current = {post.path: post for post in snapshot.posts}
            gone = [rowid for path, rowid in self._rowids.items()
                    if current.get(path) is not self._posts[rowid]]
            fresh = [post for path, post in current.items()
                     if self._posts.get(self._rowids.get(path)) is not post]
            rows = [self._row(post) for post in fresh]
            dates = [(rowid, post.published_at(self.tz).timestamp(), int(bool(post.draft)))
                     for post, (rowid, *_) in zip(fresh, rows)]
            with self._lock:
                self._write(gone, rows, dates)
                for rowid in gone:
                    del self._rowids[self._posts.pop(rowid).path]
                for post, row in zip(fresh, rows):
                    self._rowids[post.path] = row[0]
                    self._posts[row[0]] = post
        return len(fresh), len(gone)

    def _write(self, gone, rows, dates):
        self._db.execute("BEGIN")
        try:
            for table in ("posts", "dates"):
                self._db.executemany(f"DELETE FROM {table} WHERE rowid = ?",
                                     [(rowid,) for rowid in gone])
            self._db.executemany("INSERT INTO posts (rowid, title, tags, summary, body) "
                                 "VALUES (?, ?, ?, ?, ?)", rows)
            self._db.executemany("INSERT INTO dates VALUES (?, ?, ?)", dates)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _row(self, post):
        rowid, self._next_rowid = self._next_rowid, self._next_rowid + 1
        return (rowid, plain_field(post.title), plain_field(", ".join(post.tags)),
                plain_field(post.meta.get("summary") or ""), plain_text(post.body))

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

    def _marked(self, match, rowids):
        """``{rowid: (title HTML, snippet HTML)}``: the body's best passage, else
        the summary's; "" when only the title or the tags matched."""
        if not rowids:
            return {}
        sql = _MARKED.format(rowids=", ".join(str(int(rowid)) for rowid in rowids))
        found = {}
        params = {"start": MARK_START, "end": MARK_END, "ellipsis": ELLIPSIS,
                  "tokens": SNIPPET_TOKENS, "match": match}
        for rowid, title, summary, body in self._db.execute(sql, params):
            snippet = next((s for s in (body, summary) if s and MARK_START in s), "")
            found[rowid] = (marked_html(title), marked_html(snippet))
        return found


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
