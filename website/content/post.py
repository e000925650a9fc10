"""A post: metadata, Markdown body, and HTML rendered once, when first needed."""
import hashlib
import math
import re
import threading
from functools import cached_property
from pathlib import Path

from . import front_matter, metadata, render_cache, rendering
from .errors import PostError

WORDS_PER_MINUTE = 220
_WORD = re.compile(r"\w+")
_render_lock = threading.Lock()


def tag_slug(tag):
    """The URL form of a tag: ``Web Development`` -> ``web-development``."""
    return re.sub(r"[\s/?#%]+", "-", tag.strip().lower()).strip("-")


class Post:
    """One Markdown file, read and checked. Build with :meth:`from_file`."""

    def __init__(self, path, meta, body, body_line=1, mtime_ns=0, digest=""):
        self.path = Path(path)
        # Changes whenever the file's name or bytes do (the static build's fingerprints).
        self.digest = digest
        self.meta = meta
        self.body = body
        self.body_line = body_line
        self.mtime_ns = mtime_ns
        self.slug = meta.get("slug") or self.path.stem

    @classmethod
    def from_file(cls, path, mtime_ns=None):
        """Read and check the post at ``path``.

        :raise PostError: unreadable, not UTF-8, or a bad header or field.
        """
        path = Path(path)
        try:
            data = path.read_bytes()
            if mtime_ns is None:
                mtime_ns = path.stat().st_mtime_ns
        except OSError as exc:
            raise PostError(path, f"can't be read: {exc.strerror or exc}") from exc
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise PostError(path, f"is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                                  "save it as UTF-8", line=line) from exc
        header = front_matter.split(text.replace("\r\n", "\n"), path)
        try:
            meta = metadata.normalise(header.fields, path, header.lines)
        except PostError as exc:
            # The address the post asked for, so the dev server can show the error there.
            slug = header.fields.get("slug")
            exc.slug = slug.strip() if isinstance(slug, str) and slug.strip() else None
            raise
        digest = hashlib.sha1(path.name.encode() + b"\0" + data).hexdigest()
        return cls(path, meta, header.body, header.body_line, mtime_ns, digest)

    def __repr__(self):
        return f"<Post {self.slug!r} {self.date:%Y-%m-%d}>"

    # --- metadata -------------------------------------------------------
    def __getattr__(self, name):
        # Unknown front-matter keys reach templates as attributes (None if absent).
        if name.startswith("_"):
            raise AttributeError(name)
        return self.__dict__.get("meta", {}).get(name)

    @property
    def title(self):
        return self.meta["title"]

    @property
    def date(self):
        return self.meta["date"]

    @property
    def updated(self):
        return self.meta.get("updated")

    @property
    def tags(self):
        return self.meta["tags"]

    @property
    def draft(self):
        return self.meta["draft"]

    @cached_property
    def tag_slugs(self):
        """The URL forms of the tags, as a set."""
        return frozenset(filter(None, (tag_slug(tag) for tag in self.tags)))

    @cached_property
    def summary(self):
        """The ``summary`` field, else the first paragraph as plain text."""
        return self.meta.get("summary") or rendering.first_paragraph(self.body)

    @property
    def description(self):
        """Text for search results and link previews."""
        return self.meta.get("description") or self.summary

    @cached_property
    def reading_minutes(self):
        """Estimated reading time in whole minutes (at least 1)."""
        return max(1, math.ceil(len(_WORD.findall(self.body)) / WORDS_PER_MINUTE))

    def published_at(self, tz):
        """The date as an aware datetime, naive dates read in ``tz``."""
        return _aware(self.date, tz)

    def updated_at(self, tz):
        """When the post last changed: ``updated``, else ``date``."""
        return _aware(self.updated or self.date, tz)

    def is_public(self, now):
        """Published: not a draft, and its date has come (``now`` is aware)."""
        return not self.draft and self.published_at(now.tzinfo) <= now

    # --- rendered body --------------------------------------------------
    @property
    def rendered(self):
        """The body rendered once, then kept for as long as the file is unchanged."""
        cached = self.__dict__.get("_rendered")
        if cached is None:
            with _render_lock:
                cached = self.__dict__.get("_rendered")
                if cached is None:
                    cached = render_cache.render(self.body)
                    self.__dict__["_rendered"] = cached
        return cached

    @property
    def html(self):
        return self.rendered.html

    @property
    def toc(self):
        return self.rendered.toc

    @property
    def toc_tokens(self):
        return self.rendered.toc_tokens


def _aware(value, tz):
    return value.replace(tzinfo=tz) if value.tzinfo is None else value

