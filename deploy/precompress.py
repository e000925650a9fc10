"""Write a gzip (and, with the brotli module, a brotli) copy beside each text file of a build.

Usage: python3 deploy/precompress.py BUILD

BUILD is the build's link (or folder); the folder it points to now gets
``x.gz`` and ``x.br`` beside each ``x.html``, ``.xml``, ``.txt``, ``.css``,
``.js``, ``.json`` and ``.svg`` file, so Apache sends the compressed bytes as
they are instead of compressing each answer again. A copy has its file's
modification time: one that does not is stale and is written again. A file
the build carried over unchanged (a hard link to the previous build's) takes
the previous build's copies as hard links too, so a run that finds nothing
new compresses nothing. Each copy appears whole (written aside, then
renamed), and only when it is smaller than the file. Standard library only:
brotli copies come from the brotli module when the venv has it, else from
the ``brotli`` command (setup.sh installs it where Apache has mod_brotli).
"""
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import brotli
except ImportError:     # the brotli command (Debian's "brotli"), else gzip alone
    brotli = None

TEXT_SUFFIXES = {".html", ".xml", ".txt", ".css", ".js", ".json", ".svg"}
MIN_SIZE = 256          # smaller files gain nothing worth a second file
BROTLI_COMMAND = shutil.which("brotli")
# Brotli's quality 9 is several times faster than its best (11), for a few
# percent more bytes: a full rebuild on a small server stays quick.


def _brotli_command(data):
    return subprocess.run([BROTLI_COMMAND, "--quality=9", "--stdout", "-"], input=data,
                          capture_output=True, check=True).stdout


ENCODINGS = {".gz": lambda data: gzip.compress(data, compresslevel=9, mtime=0)}
if brotli is not None:
    ENCODINGS[".br"] = lambda data: brotli.compress(data, quality=9)
elif BROTLI_COMMAND:
    ENCODINGS[".br"] = _brotli_command


def text_files(folder):
    """Every file of ``folder`` worth compressing, as paths."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and os.path.splitext(name)[1] in TEXT_SUFFIXES:
                path = Path(root) / name
                if path.stat().st_size >= MIN_SIZE:
                    yield path


def previous_copies(folder):
    """``{(inode, suffix): copy}``: valid copies in the other builds beside ``folder``."""
    found = {}
    prefix = folder.name.split("-", 1)[0] + "-"
    for other in folder.parent.iterdir():
        if other == folder or not other.name.startswith(prefix) or other.is_symlink():
            continue
        if not other.is_dir() or other.name.endswith("-cache"):
            continue
        for path in text_files(other):
            for suffix in ENCODINGS:
                copy = path.with_name(path.name + suffix)
                if _valid(path, copy):
                    found[(path.stat().st_ino, suffix)] = copy
    return found


def _valid(path, copy):
    try:
        return copy.stat().st_mtime_ns == path.stat().st_mtime_ns
    except FileNotFoundError:
        return False


def write_copy(path, suffix, compress):
    """``path + suffix``, compressed, written aside and renamed; False when not smaller."""
    data = path.read_bytes()
    packed = compress(data)
    copy = path.with_name(path.name + suffix)
    if len(packed) >= len(data):
        copy.unlink(missing_ok=True)
        return False
    handle, temporary = tempfile.mkstemp(prefix=".", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(packed)
        os.chmod(temporary, path.stat().st_mode & 0o777)
        stat = path.stat()
        os.utime(temporary, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        os.replace(temporary, copy)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def precompress(build):
    """Bring the copies of ``build`` up to date; ``(written, linked)``."""
    folder = Path(build).resolve()
    earlier = None
    written = linked = 0
    for path in text_files(folder):
        for suffix, compress in ENCODINGS.items():
            copy = path.with_name(path.name + suffix)
            if _valid(path, copy):
                continue
            if earlier is None:
                earlier = previous_copies(folder)
            carried = earlier.get((path.stat().st_ino, suffix))
            if carried is not None:
                copy.unlink(missing_ok=True)
                os.link(carried, copy)
                linked += 1
            elif write_copy(path, suffix, compress):
                written += 1
    return written, linked


def main(argv):
    if len(argv) != 2 or argv[1].startswith("-"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    if not Path(argv[1]).is_dir():
        print(f"precompress: error: {argv[1]} is not a build folder", file=sys.stderr)
        return 1
    written, linked = precompress(argv[1])
    if written or linked:
        print(f"precompress: {written} written, {linked} kept from the previous build")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
