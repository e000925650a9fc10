"""Rendered post bodies kept on disk, keyed by a hash of the Markdown and of the renderer.

The static build turns it on (:func:`use`), so a post whose text did not
change is never rendered again, whichever process asks. Without a cache,
:func:`render` simply renders.
"""
import functools
import hashlib
import json
import os
import sqlite3
import threading
from pathlib import Path

import markdown
import pygments
import pymdownx

from . import rendering

_active = None


@functools.cache
def package_source():
    """The source of every module of this package, read once per process: what
    decides what reading and rendering a post give (the Markdown extensions,
    the renderer's bounds, the post model)."""
    return b"".join(path.read_bytes() for path in sorted(Path(__file__).parent.glob("*.py")))


def renderer_version():
    """A hash of what decides a body's HTML: the rendering code and library versions."""
    versions = f"{markdown.__version__} {pygments.__version__} {pymdownx.__version__}"
    return hashlib.sha256(package_source() + versions.encode()).hexdigest()[:16]


def _dump_rendered(rendered):
    return json.dumps([rendered.html, rendered.toc, rendered.toc_tokens])


def _load_rendered(text):
    html, toc, tokens = json.loads(text)
    return rendering.Rendered(html, toc, tokens)


def _dump_facts(facts):
    return json.dumps({key: sorted(value) if isinstance(value, frozenset) else value
                       for key, value in facts.items()})


def _load_facts(text):
    facts = json.loads(text)
    if "tag_slugs" in facts:
        facts["tag_slugs"] = frozenset(facts["tag_slugs"])
    return facts


class RenderCache:
    """Rendered bodies in an SQLite file (as JSON), safe to share between processes."""

    def __init__(self, path):
        self.path = Path(path)
        self.version = renderer_version()
        self._pending = {}
        self._local = threading.local()
        self._lock = threading.Lock()

    def _connection(self):
        # One connection per process and thread: a forked worker opens its own.
        key = os.getpid()
        if getattr(self._local, "pid", None) != key:
            connection = sqlite3.connect(self.path, timeout=60)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            for table in ("bodies", "facts"):
                connection.execute(f"CREATE TABLE IF NOT EXISTS {table} "
                                   "(key TEXT PRIMARY KEY, value TEXT)")
            self._local.connection, self._local.pid = connection, key
        return self._local.connection

    def key(self, text):
        """The cache key of Markdown ``text``."""
        return hashlib.sha256(f"{self.version}\0{text}".encode()).hexdigest()

    def get(self, text):
        """The :class:`rendering.Rendered` kept for ``text``, or None."""
        key = self.key(text)
        with self._lock:
            if key in self._pending:
                return self._pending[key]
        row = self._connection().execute("SELECT value FROM bodies WHERE key = ?",
                                         (key,)).fetchone()
        return _load_rendered(row[0]) if row else None

    def keys(self):
        """The keys of every body kept (see :meth:`key`), as a set."""
        with self._lock:
            pending = set(self._pending)
        return pending | {row[0] for row in self._connection().execute("SELECT key FROM bodies")}

    def put(self, text, rendered):
        """Keep ``rendered`` for ``text`` (written at the next :meth:`flush`)."""
        with self._lock:
            self._pending[self.key(text)] = rendered

    def flush(self):
        """Write what :meth:`put` kept since the last flush."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if pending:
            connection = self._connection()
            with connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO bodies (key, value) VALUES (?, ?)",
                    [(key, _dump_rendered(value)) for key, value in pending.items()])

    def get_facts(self, digests):
        """``{digest: facts}`` kept by :meth:`put_facts` for posts of these file digests."""
        wanted = {f"{self.version}\0{digest}": digest for digest in digests}
        found = {}
        for key, value in self._connection().execute("SELECT key, value FROM facts"):
            if key in wanted:
                found[wanted[key]] = _load_facts(value)
        return found

    def put_facts(self, facts):
        """Keep ``{digest: facts}``: what a post's listings show (summary, reading time)."""
        if facts:
            connection = self._connection()
            with connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO facts (key, value) VALUES (?, ?)",
                    [(f"{self.version}\0{digest}", _dump_facts(value))
                     for digest, value in facts.items()])

    def prune(self, texts):
        """Forget every body but those of ``texts`` (the current posts)."""
        connection = self._connection()
        if connection.execute("SELECT count(*) FROM bodies").fetchone()[0] <= len(texts) + 100:
            return      # little to gain: prune once enough old versions have piled up
        keep = {self.key(text) for text in texts}
        stored = [row[0] for row in connection.execute("SELECT key FROM bodies")]
        stale = [(key,) for key in stored if key not in keep]
        if stale:
            with connection:
                connection.executemany("DELETE FROM bodies WHERE key = ?", stale)
                connection.execute("DELETE FROM facts")     # rebuilt by the next builds

    def close(self):
        """Close this process's connection."""
        connection = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == os.getpid():
            connection.close()
        self._local = threading.local()


def use(cache):
    """Make ``cache`` (or None) the one :func:`render` consults."""
    global _active
    _active = cache


def render(text):
    """:func:`rendering.render`, through the cache when one is in use."""
    cache = _active
    if cache is None:
        return rendering.render(text)
    found = cache.get(text)
    if found is None:
        found = rendering.render(text)
        cache.put(text, found)
    return found
