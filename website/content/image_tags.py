"""The ``<img>`` tags of a rendered body, rewritten for the image pipeline.

Local raster images get their real size, lazy loading (but for the first one
near the top) and a ``<picture>`` of their resized variants; every other
image keeps its tag as written, plus ``loading="lazy"``. The files are the
pipeline's business (:mod:`.images`); this module only reads and writes tags.
No Flask here.
"""
import html
import re
from html.parser import HTMLParser

MIME = {"avif": "image/avif", "webp": "image/webp"}
# An image whose top is within this much text of the start of the body is
# "near the top": likely on the first screen, so it loads first, not lazily.
NEAR_TOP_CHARS = 400
# Author widths in percent become one of these classes (site.css): the
# site's Content-Security-Policy forbids style attributes.
PERCENT_STEP = 5

_IMG = re.compile(r"<img\b[^<>]*>", re.IGNORECASE)
_PICTURE = re.compile(r"</?picture\b", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


class _Tag(HTMLParser):
    """The attributes of one start tag, in order, values unescaped."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.attrs = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.attrs = list(attrs)

    handle_startendtag = handle_starttag


def _tag(name, attrs):
    parts = [name] + [key if value is None else f'{key}="{html.escape(value, quote=True)}"'
                      for key, value in attrs]
    return "<" + " ".join(parts) + ">"


def rewrite(body, pipeline):
    """``(body with its images rewritten, [image paths it depends on])``.

    :param pipeline: the :class:`~.images.ImagePipeline` that knows the files.
    """
    depends, first = [], [True]
    spans = [(m.start(), m.end()) for m in _PICTURE.finditer(body)]

    def fix(match):
        inside_picture = _inside(spans, match.start(), body)
        near_top = first[0] and len(_TAGS.sub("", body[:match.start()])) <= NEAR_TOP_CHARS
        first[0] = False
        return _rewrite_tag(pipeline, match.group(0), inside_picture, near_top, depends)

    return _IMG.sub(fix, body), depends

def _rewrite_tag(pipeline, text, inside_picture, near_top, depends):
    attrs = _Tag(text).attrs
    found = dict(attrs)
    src = found.get("src") or ""
    path = None if inside_picture or "srcset" in found else pipeline.local_path(src)
    info = pipeline.info(path) if path is not None else None
    if path is not None:
        depends.append(path)
    if info is None:
        if "loading" in found or "fetchpriority" in found:
            return text
        return _with_attribute(text, 'fetchpriority="high"' if near_top else 'loading="lazy"')
    attrs = _sized(attrs, found, info)
    attrs = [(k, v) for k, v in attrs if k not in ("loading", "decoding", "fetchpriority")]
    if near_top:
        attrs.append(("fetchpriority", "high"))
    else:
        attrs.append(("loading", found.get("loading") or "lazy"))
    attrs.append(("decoding", "async"))
    img = _tag("img", attrs)
    if not info.variants:
        return img
    sizes = _sizes_for(pipeline.sizes, attrs, info)
    sources = "".join(
        _tag("source", [("type", MIME[name]), ("srcset", _srcset(pipeline.url_prefix, made)),
                         ("sizes", sizes)])
        for name, made in info.variants)
    return f"<picture>{sources}{img}</picture>"

def _sized(attrs, found, info):
    """``attrs`` with the real ``width``/``height``; an author's percent width as a class."""
    width = (found.get("width") or "").strip()
    kept = [(k, v) for k, v in attrs if k not in ("width", "height")]
    if width.endswith("%"):
        percent = _percent(width)
        if percent:
            classes = (found.get("class") or "").split() + [f"img-w{percent}"]
            kept = [(k, v) for k, v in kept if k != "class"] + [("class", " ".join(classes))]
        return kept + [("width", str(info.width)), ("height", str(info.height))]
    if width.isdigit() and int(width) > 0:
        shown = int(width)
        return kept + [("width", str(shown)),
                       ("height", str(max(1, round(info.height * shown / info.width))))]
    return kept + [("width", str(info.width)), ("height", str(info.height))]

def _sizes_for(full_width, attrs, info):
    found = dict(attrs)
    match = re.search(r"\bimg-w(\d+)\b", found.get("class") or "")
    if match:
        return _scaled_sizes(full_width, int(match.group(1)) / 100)
    shown = int(found.get("width", info.width))
    if shown < info.width:
        return f"{shown}px"
    return full_width


def _srcset(url_prefix, made):
    return ", ".join(f"{url_prefix}{relative} {width}w" for width, relative in made)


def _with_attribute(text, attribute):
    """The tag ``text`` as written, plus ``attribute`` (``loading="lazy"``)."""
    if text.endswith("/>"):
        return text[:-2].rstrip() + " " + attribute + " />"
    return text[:-1].rstrip() + " " + attribute + ">"


def _inside(spans, at, body):
    """True when ``at`` is inside a ``<picture>`` element of ``body``."""
    opened = False
    for start, _end in spans:
        if start > at:
            break
        opened = not body.startswith("</", start)
    return opened


def _percent(value):
    """``45%`` -> 45, rounded to :data:`PERCENT_STEP`, within 5..100; None if not a number."""
    try:
        number = float(value.rstrip("%").strip())
    except ValueError:
        return None
    stepped = int(round(number / PERCENT_STEP) * PERCENT_STEP)
    return min(100, max(PERCENT_STEP, stepped))


def _scaled_sizes(sizes, fraction):
    """``sizes`` for an image ``fraction`` as wide as a full-width one."""
    parts = []
    for part in sizes.split(","):
        part = part.strip()
        condition = part[:part.index(")") + 1] if part.startswith("(") else ""
        length = part[len(condition):].strip()
        parts.append(f"{condition} calc({length} * {fraction:g})".strip())
    return ", ".join(parts)
