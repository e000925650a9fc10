"""The posts folder as last read, kept in one file, so a restart reads only what changed.

At 10,000 posts, reading and checking every file is most of a cold start
(about 0.7 s); loading what the last process read, from one file, is about
a fifth of that. A post is taken from the file only if its name, mtime and
size are what they were, and only while the reading code, the Python
version, the folder and the time zone are the same (the file's key); any
other post is read as usual. Bad posts are never kept: they are read, and
reported, by every process.

The file is a pickle, so it is loaded only if it belongs to this process's
user and no one else may write to it (or to the folder it is in): whoever
can write there can already change the code, or ``instance/config.py``.
Anything wrong with it (another key, a truncated file) means reading the
folder as without it. Writing is best effort: a folder this process can't
write to is reported once, and the site serves as without a cache.
"""
import hashlib
import logging
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

from . import render_cache

logger = logging.getLogger(__name__)

# Bumped when what is stored changes shape.
FORMAT = 1
# A half-written file older than this was left by a process that is gone
# (a save takes well under a second, even at 10,000 posts).
STALE_SECONDS = 600


def code_version():
    """A hash of the code that decides what reading a post gives (this package)."""
    return hashlib.sha256(render_cache.package_source()).hexdigest()[:16]


class ReadCache:
    """What reading ``folder`` gave, kept at ``path``.

    :param document: the class posts are read as; its ``STATE`` attributes
        are what is kept of each.
    """

    def __init__(self, path, folder, document, tz):
        self.path = Path(path)
        self.document = document
        self.key = (FORMAT, sys.version_info[:2], code_version(), str(folder),
                    f"{document.__module__}.{document.__qualname__}", str(tz))
        self._warned = False

    def load(self):
        """``(entries, stamps)``: ``{path: document}`` and ``{path: (mtime_ns, size)}``
        of the posts kept, both empty if there is no usable file."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return {}, {}
        with open(fd, "rb") as handle:
            if not self._trusted(os.fstat(handle.fileno())):
                logger.warning("Not using %s: it must belong to this user and be writable "
                               "by no one else", self.path)
                return {}, {}
            try:
                if pickle.load(handle) != self.key:
                    return {}, {}
                kept = pickle.load(handle)
            except Exception as exc:  # noqa: BLE001 - a damaged cache is read around
                logger.warning("Not using %s (%s: %s); the posts are read from their files",
                               self.path, type(exc).__name__, exc)
                return {}, {}
        entries, stamps = {}, {}
        new = self.document.__new__
        for path, (stamp, state) in kept.items():
            post = new(self.document)
            post.__dict__.update(zip(self.document.STATE, state))
            entries[path] = post
            stamps[path] = stamp
        return entries, stamps

    def _sweep(self):
        """Remove what a save cut short left behind (a process that exited while saving)."""
        prefix = f".{self.path.name}-"
        old = time.time() - STALE_SECONDS
        with os.scandir(self.path.parent) as entries:
            for entry in entries:
                if entry.name.startswith(prefix):
                    try:
                        if entry.stat(follow_symlinks=False).st_mtime < old:
                            os.unlink(entry.path)
                    except OSError:
                        pass

    def _trusted(self, info):
        if info.st_uid != os.geteuid() or info.st_mode & 0o022:
            return False
        try:
            folder = os.stat(self.path.parent)
        except OSError:
            return False
        return folder.st_uid == os.geteuid() and not folder.st_mode & 0o022

    def save(self, entries, stamps):
        """Keep the good posts of ``entries`` (``{path: document or error}``), atomically."""
        names = self.document.STATE
        kept = {path: (stamps[path], tuple(post.__dict__[name] for name in names))
                for path, post in entries.items() if isinstance(post, self.document)}
        temporary = None
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}-")
            with open(fd, "wb") as handle:
                pickle.dump(self.key, handle, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump(kept, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.path)
            temporary = None
            self._sweep()
        except Exception as exc:  # noqa: BLE001 - the site serves without a cache
            if temporary is not None:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass
            if not self._warned:
                self._warned = True
                logger.warning("Can't keep the posts as read in %s (%s); each start reads "
                               "every post", self.path, getattr(exc, "strerror", None) or exc)
