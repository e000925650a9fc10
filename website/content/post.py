"""A post: metadata, Markdown body, and HTML rendered once, when first needed."""
import hashlib
import logging
import math
import os
import re
import string
import threading
from functools import cached_property, lru_cache
from pathlib import Path

from . import front_matter, metadata, render_cache, rendering
from .errors import PostError, RenderError
from .md_blocks import NestingError
from .render_limits import LimitError

logger = logging.getLogger(__name__)

WORDS_PER_MINUTE = 220
MAX_FILE_BYTES = 4 * 1024 * 1024    # a long post is a few dozen kilobytes
_WORD = re.compile(r"\w+")
# In ASCII text a word character (\w) is a letter, a digit or "_": every other
# byte becomes a space, and the words are what splitting on spaces leaves.
_ASCII_WORD = frozenset((string.ascii_letters + string.digits + "_").encode("ascii"))
_ASCII_NOT_WORD_TO_SPACE = bytes(byte if byte in _ASCII_WORD else 0x20 for byte in range(256))
_TAG_GAPS = re.compile(r"[\s/?#%]+")
_render_lock = threading.Lock()


@lru_cache(maxsize=4096)
def tag_slug(tag):
    """The URL form of a tag: ``Web Development`` -> ``web-development``.

    Kept for the tags last seen: a blog has a few dozen, on thousands of posts.
    """
    return _TAG_GAPS.sub("-", tag.strip().lower()).strip("-")


def word_count(text):
    """The words in ``text``: its runs of word characters (``\\w+``).

    ASCII text is counted by bytes.translate and split, in a sixth of the
    pattern's time; other text by the pattern.
    """
    if text.isascii():
        return len(text.encode("ascii").translate(_ASCII_NOT_WORD_TO_SPACE).split())
    return len(_WORD.findall(text))


class Post:
    """One Markdown file, read and checked. Build with :meth:`from_file`."""

    def __init__(self, path, meta, body, body_line=1, mtime_ns=0, digest=""):
        self._file = path       # a str or a Path: see :attr:`path`
        # Changes whenever the file's name or bytes do (the static build's fingerprints).
        self.digest = digest
        self.meta = meta
        self.body = body
        self.body_line = body_line
        self.mtime_ns = mtime_ns
        self.slug = meta.get("slug") or _stem(path)

    @cached_property
    def path(self):
        """The file, as a Path (made when first asked: a folder of posts is read as names)."""
        return self._file if isinstance(self._file, Path) else Path(self._file)

    # What :meth:`from_file` sets, all a post is until asked for more (kept by .read_cache).
    STATE = ("_file", "digest", "meta", "body", "body_line", "mtime_ns", "slug")

    # The front-matter field table and required fields (pages have their own).
    FIELDS = metadata.PROCESSORS
    REQUIRED = metadata.REQUIRED

    @classmethod
    def from_file(cls, path, mtime_ns=None, **options):
        """Read and check the post at ``path``; ``options`` go to the constructor.

        :raise PostError: unreadable, not UTF-8, or a bad header or field.
        """
        try:
            data, mtime = _read(path)
        except OSError as exc:
            raise PostError(path, f"can't be read: {exc.strerror or exc}") from exc
        if data is None:
            raise PostError(path, f"is {mtime / 2**20:.1f} MB; a post can be at most "
                                  f"{MAX_FILE_BYTES // 2**20} MB")
        if mtime_ns is None:
            mtime_ns = mtime
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise PostError(path, f"is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                                  "save it as UTF-8", line=line) from exc
        header = front_matter.split(text.replace("\r\n", "\n"), path)
        try:
            meta = metadata.normalise(header.fields, path, header.lines, cls.FIELDS,
                                      cls.REQUIRED)
            cls.validate(meta, path, header.lines, **options)
        except PostError as exc:
            # The address the post asked for, so the dev server can show the error there.
            slug = header.fields.get("slug")
            exc.slug = slug.strip() if isinstance(slug, str) and slug.strip() else None
            raise
        digest = hashlib.sha1(os.path.basename(path).encode() + b"\0" + data).hexdigest()
        return cls(path, meta, header.body, header.body_line, mtime_ns, digest, **options)

    @classmethod
    def validate(cls, meta, path, lines, **options):
        """Checks that need more than one field's value (none for posts).

        :raise FieldError: naming the file, line and field.
        """

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
        return max(1, math.ceil(word_count(self.body) / WORDS_PER_MINUTE))

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
        """The body rendered once, then kept for as long as the file is unchanged.

        :raise RenderError: the body can't be rendered (see :attr:`render_error`).
        """
        result = self._render_once()
        if isinstance(result, RenderError):
            raise RenderError(result.path, result.message, line=result.line)
        return result

    @property
    def render_error(self):
        """The :class:`RenderError` of a body that can't be rendered, else None.

        Pages other than the post's own ask this first and show the summary instead.
        """
        result = self._render_once()
        return result if isinstance(result, RenderError) else None

    def _render_once(self):
        cached = self.__dict__.get("_rendered")
        if cached is None:
            with _render_lock:
                cached = self.__dict__.get("_rendered")
                if cached is None:
                    cached = self._render()
                    self.__dict__["_rendered"] = cached
        return cached

    def _render(self):
        # Whatever goes wrong belongs to this post alone: it is kept, logged
        # once (per version of the file) and reported, never raised elsewhere.
        try:
            return render_cache.render(self.body)
        except RecursionError:
            error = self._render_error("lists or quotes are nested too deeply to render")
        except (LimitError, NestingError) as exc:
            error = self._render_error(str(exc), exc.line)
        except Exception as exc:  # noqa: BLE001 - any extension may fail on odd input
            error = self._render_error(f"the Markdown renderer failed: "
                                       f"{type(exc).__name__}: {exc}")
            logger.error("Can't render post %s", error, exc_info=True)
            return error
        logger.error("Can't render post %s", error)
        return error

    def _render_error(self, message, body_line=None):
        line = self.body_line + body_line - 1 if body_line else self.body_line
        return RenderError(self.path, f"can't be rendered: {message}", line=line)

    @property
    def html(self):
        return self.rendered.html

    @property
    def toc(self):
        return self.rendered.toc

    @property
    def toc_tokens(self):
        return self.rendered.toc_tokens


def _stem(path):
    """``Path(path).stem``, without making a Path."""
    if isinstance(path, Path):
        return path.stem
    name = os.path.basename(path)
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _read(path):
    """``(bytes, mtime_ns)`` of the file at ``path``, or ``(None, size)`` if it is too big.

    One open, one ``fstat`` and one unbuffered read: reading 10,000 posts is
    most of the app's cold start.
    """
    with open(path, "rb", buffering=0) as handle:
        info = os.fstat(handle.fileno())
        if info.st_size > MAX_FILE_BYTES:
            return None, info.st_size
        data = handle.readall()
    if len(data) > MAX_FILE_BYTES:     # grew since the fstat
        return None, len(data)
    return data, info.st_mtime_ns


def _aware(value, tz):
    return value.replace(tzinfo=tz) if value.tzinfo is None else value

