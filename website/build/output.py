"""The output folder: built beside the live one, then swapped in with one rename.

``build`` is a symbolic link to the folder of the latest complete build
(``.build-<id>``, beside it). A new build fills a new folder, carrying over
unchanged files as hard links (same bytes, same mtime) and writing only the
others, then points ``build`` at it with one atomic ``rename``. A build that
stops half-way leaves the link, and so the site, as it was. The previous
folder is kept until the next build, so a sync or a server reading it while
the link moves still sees a whole site.
"""
import ctypes
import ctypes.util
import fcntl
import json
import logging
import os
import shutil
import time
import uuid
from pathlib import Path

logger = logging.getLogger(__name__)

MANIFEST_VERSION = 1


class OutputError(Exception):
    """The output folder can't be used (another build holds it, or it isn't ours)."""


class Output:
    """The live output ``out``, its build folders and its cache folder."""

    def __init__(self, out):
        self.link = Path(out).absolute()
        self.parent = self.link.parent
        self.prefix = f".{self.link.name}-"
        self.cache = self.parent / f".{self.link.name}-cache"
        self._lock_file = None

    # --- locking --------------------------------------------------------
    def lock(self):
        """Hold the cache folder's lock for this build, or fail at once."""
        self.cache.mkdir(parents=True, exist_ok=True)
        handle = open(self.cache / "lock", "a")     # never truncated: nothing is written
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise OutputError(f"another build of {self.link} is running") from None
        self._lock_file = handle

    def unlock(self):
        """Let other builds run."""
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    # --- folders --------------------------------------------------------
    def check(self):
        """Refuse an output path that holds something else than a build.

        :raise OutputError: a file, or a folder with files in it that no build made.
        """
        if self.link.is_symlink() or not self.link.exists():
            return
        if not self.link.is_dir() or any(self.link.iterdir()):
            raise OutputError(f"{self.link} exists and was not made by a build; "
                              "move it away or choose another --out")

    def current(self):
        """The folder the site is served from now (a real folder, or the link's target), or None."""
        if self.link.is_symlink():
            target = self.link.resolve()
            return target if target.is_dir() else None
        return self.link if self.link.is_dir() else None

    def new_folder(self):
        """A fresh, empty build folder beside the live one."""
        self.parent.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        folder = self.parent / f"{self.prefix}{stamp}-{uuid.uuid4().hex[:6]}"
        folder.mkdir()
        return folder

    def publish(self, folder):
        """Point the live link at ``folder`` in one atomic rename; return the folder replaced."""
        previous = self.current()
        temporary = self.parent / f"{self.prefix}link-{uuid.uuid4().hex[:6]}"
        os.symlink(folder.name, temporary)
        if self.link.exists() and not self.link.is_symlink():
            previous = self._adopt(temporary)
        else:
            os.replace(temporary, self.link)
        _sync_folder(self.parent)
        return previous

    def _adopt(self, temporary):
        # An empty folder in the way (see check): exchange it with the link in
        # one step where the system can (Linux renameat2), then let it go.
        kept = self.parent / f"{self.prefix}previous-{uuid.uuid4().hex[:6]}"
        if _exchange(temporary, self.link):
            os.rename(temporary, kept)
        else:
            logger.warning("%s is a plain folder: replaced in two steps this once", self.link)
            os.rename(self.link, kept)
            os.rename(temporary, self.link)
        return kept

    def clean(self, keep):
        """Delete build folders (finished or abandoned) except those in ``keep``."""
        keep = {Path(k).name for k in keep if k}
        for entry in self.parent.iterdir():
            if (entry.name.startswith(self.prefix) and entry != self.cache
                    and entry.name not in keep and not entry.is_symlink()):
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.name.startswith(self.prefix + "link-") and entry.is_symlink():
                entry.unlink()

    # --- manifest -------------------------------------------------------
    def read_manifest(self, folder):
        """What the last build recorded about ``folder``: ``{file: {url, fingerprint, sha}}``."""
        try:
            data = json.loads((self.cache / "manifest.json").read_text())
        except (OSError, ValueError):
            return {}
        if (data.get("version") != MANIFEST_VERSION or folder is None
                or data.get("folder") != folder.name):
            return {}
        return data.get("files", {})

    def write_manifest(self, folder, files):
        """Record ``files`` as the content of ``folder``."""
        path = self.cache / "manifest.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"version": MANIFEST_VERSION, "folder": folder.name,
                                         "files": files}))
        os.replace(temporary, path)


def _sync_folder(path):
    # Make the rename itself durable, not only atomic.
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a, b):
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
