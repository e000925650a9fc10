"""Local images made fast: real sizes, resized WebP/AVIF variants, lazy loading.

:class:`ImagePipeline` rewrites the ``<img>`` tags of rendered HTML (from
Markdown or written raw, see :mod:`.image_tags`), after rendering: an image under the static URL
prefix that Pillow can read gets its real ``width``/``height`` and, unless it
is animated or a GIF, a ``<picture>`` with AVIF (where Pillow has it) and
WebP variants at a few widths, never wider than the original, which stays the
fallback. Variants are named by a hash of the image's bytes and of the
settings that shape them, in one folder (``static/_variants/``), so an image
is never processed twice and the folder is always safe to delete. They are
written to a temporary name and renamed, so no reader ever sees half a file.
Remote and SVG images, and images an author gave a ``srcset`` or put in a
``<picture>`` of their own, keep their tag; they only get ``loading="lazy"``
(or ``fetchpriority="high"``, first and near the top).

No Flask here.
"""
import hashlib
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from PIL import Image, ImageOps, features

from . import image_tags

logger = logging.getLogger(__name__)

RASTER_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".avif"}
# Formats of the variants, best first, and their MIME types.
MIME = image_tags.MIME
ENCODE = {"avif": {"quality": 60, "speed": 6}, "webp": {"quality": 80, "method": 4}}

_ORIENTATION = 0x0112     # the EXIF tag


def variant_formats():
    """The variant formats this Pillow can write: AVIF and WebP, or WebP alone."""
    return tuple(name for name in MIME if features.check(name))


@dataclass(frozen=True)
class ImageInfo:
    """What the pipeline knows of one local image file."""

    width: int
    height: int
    size: int                 # bytes on disk
    digest: str               # of the bytes and the variant settings
    variants: tuple = ()      # ((format, [(width, relative path under static/)]), ...)
    shrinkable: bool = True   # False: animated or a GIF, served as it is


def can_shrink(path):
    """True when the pipeline makes smaller variants of the image at ``path``.

    False for GIFs, animations, SVG and anything Pillow can't read. Reads the
    header only; writes nothing.
    """
    path = Path(path)
    if path.suffix.lower() not in RASTER_SUFFIXES:
        return False
    try:
        with Image.open(path) as image:
            return image.format != "GIF" and not getattr(image, "is_animated", False)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False


class ImagePipeline:
    """Rewrites image tags of HTML for the static files in ``static_folder``.

    :param url_prefix: the URL path of ``static_folder`` (``/static/``).
    :param widths: variant widths in pixels.
    :param formats: variant formats, best first (default: :func:`variant_formats`).
    :param sizes: the ``sizes`` value of a full-width image of the body.
    :param variants_dir: the variants' folder, under ``static_folder``.
    """

    def __init__(self, static_folder, url_prefix="/static/", widths=(480, 800, 1200),
                 formats=None, sizes="100vw", variants_dir="_variants"):
        self.static_folder = Path(static_folder)
        self.url_prefix = "/" + url_prefix.strip("/") + "/"
        self.widths = tuple(sorted(int(w) for w in widths))
        self.formats = tuple(variant_formats() if formats is None else formats)
        self.sizes = sizes
        self.variants_dir = variants_dir
        settings = repr((self.widths, self.formats, ENCODE, Image.__version__))
        self._settings = hashlib.sha256(settings.encode()).hexdigest()[:8]
        self._known = {}              # path -> ((mtime_ns, size), ImageInfo or None)
        self._lock = threading.Lock()

    # --- one image ------------------------------------------------------
    def local_path(self, src):
        """The file of a ``/static/...`` image URL, or None (remote, elsewhere, outside)."""
        parts = urlsplit(src.strip())
        if parts.scheme or parts.netloc or not parts.path.startswith(self.url_prefix):
            return None
        folder = self.static_folder.resolve()
        path = (folder / unquote(parts.path[len(self.url_prefix):])).resolve()
        return path if path.is_relative_to(folder) and path != folder else None

    def info(self, path):
        """The :class:`ImageInfo` of the raster image at ``path`` (variants made), or None.

        None for a file that is missing or that Pillow can't read (logged once).
        """
        path = Path(path)
        if path.suffix.lower() not in RASTER_SUFFIXES:
            return None
        try:
            stat = path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        known = self._known.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        with self._lock:
            known = self._known.get(path)
            if known is None or known[0] != stamp:
                known = (stamp, self._examine(path))
                self._known[path] = known
        return known[1]

    def _examine(self, path):
        try:
            data = path.read_bytes()
            with Image.open(path) as image:
                return self._variants_of(data, image)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            logger.error("Image %s can't be read: %s", path, exc)
            return None

    def _variants_of(self, data, image):
        animated = getattr(image, "is_animated", False)
        shrinkable = not animated and image.format != "GIF"
        digest = hashlib.sha256(data).hexdigest()[:16] + self._settings
        width, height = image.size
        if image.getexif().get(_ORIENTATION, 1) in (5, 6, 7, 8):
            width, height = height, width       # shown turned a quarter, as browsers do
        if not shrinkable or not self.formats:
            return ImageInfo(width, height, len(data), digest, (), shrinkable)
        wanted = [(name, w, f"{self.variants_dir}/{digest}-{w}.{name}")
                  for name in self.formats for w in self._widths_for(width)]
        missing = [item for item in wanted if not (self.static_folder / item[2]).exists()]
        if missing:
            try:
                image.load()
                upright = ImageOps.exif_transpose(image)
                for name, w, relative in missing:
                    self._write_variant(upright, w, name, self.static_folder / relative)
            except OSError as exc:
                # A read-only static/ (or a full disk): the image is served as it is.
                logger.error("Can't make the resized copies of %s: %s", image.filename, exc)
                return ImageInfo(width, height, len(data), digest, (), True)
        variants = tuple((name, [(w, rel) for n, w, rel in wanted if n == name])
                         for name in self.formats)
        return ImageInfo(width, height, len(data), digest, variants, True)

    def _widths_for(self, width):
        """The variant widths for an image ``width`` wide: never wider than it is."""
        chosen = [w for w in self.widths if w < width]
        if width <= self.widths[-1] or not chosen:
            chosen.append(min(width, self.widths[-1]))
        return chosen

    @staticmethod
    def _write_variant(image, width, name, target):
        height = max(1, round(image.height * width / image.width))
        resized = image if width == image.width else image.resize((width, height),
                                                                    Image.Resampling.LANCZOS)
        if resized.mode not in ("RGB", "RGBA"):
            resized = resized.convert("RGBA" if "A" in resized.getbands()
                                      or "transparency" in resized.info else "RGB")
        _write_atomically(target, lambda handle: resized.save(handle, format=name.upper(),
                                                               **ENCODE[name]))

    # --- whole bodies ---------------------------------------------------
    def rewrite(self, body):
        """``(body with its images rewritten, [image paths it depends on])``: :mod:`.image_tags`."""
        return image_tags.rewrite(body, self)


def _write_atomically(target, write):
    """Call ``write(handle)`` on a temporary file beside ``target``, then rename it there.

    The file is created with the usual mode (umask and the folder's default
    ACL apply), so a web server given read access to the folder can read it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "xb") as handle:
            write(handle)
        os.replace(temporary, target)
    finally:
        if temporary.exists():
            temporary.unlink()
