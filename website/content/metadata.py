"""Turn raw front-matter fields into typed post metadata.

Each known field has a small processor in :data:`PROCESSORS`; unknown fields
are kept as written. Processors raise ``ValueError`` with a message for the
author; :func:`normalise` turns that into a :class:`FieldError` naming the
file, line and field.
"""
import datetime as dt
import re

from .errors import FieldError

REQUIRED = ("title", "date")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}


def parse_datetime(value):
    """An ISO date or datetime (string, date or datetime) as a ``datetime``.

    Dates without a time mean midnight. The result is naive unless the value
    carried an offset.
    """
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not an ISO date such as 2024-05-01 or 2024-05-01 14:30")


# Control characters (NUL...) are not text, and XML (feeds) refuses them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _text(value):
    if isinstance(value, (list, dict)):
        raise ValueError("must be plain text, not a list or mapping")
    return _CONTROL.sub("\ufffd", str(value)).strip()


def _title(value):
    text = _text(value) if value is not None else ""
    if not text:
        raise ValueError("must not be empty")
    return text


def _tags(value):
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise ValueError("must be a list or a comma-separated string, "
                         f"not {type(value).__name__} {value!r}")
    tags = []
    for item in items:
        if isinstance(item, (list, dict)) or item is None:
            raise ValueError(f"each tag must be text, not {item!r}")
        tag = " ".join(_CONTROL.sub("\ufffd", str(item)).split())
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _bool(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"must be true or false, not {value!r}")


def _slug(value):
    slug = _text(value).strip("/")
    if not slug or "/" in slug or slug in {".", ".."} or any(c.isspace() for c in slug):
        raise ValueError(f"{value!r} can't be a URL part: use letters, digits, '-', no spaces or '/'")
    return slug


def _positive_int(value):
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"must be a whole number, not {value!r}") from None
    if number < 1:
        raise ValueError("must be 1 or more")
    return number


def _order(value):
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"must be a whole number (its place in the navigation), not {value!r}") from None


def _template(value):
    name = _text(value)
    parts = name.split("/")
    if not name.endswith(".html") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"{value!r} is not a template name such as 'page_wide.html'")
    return name


PROCESSORS = {
    "title": _title,
    "date": parse_datetime,
    "updated": parse_datetime,
    "tags": _tags,
    "draft": _bool,
    "slug": _slug,
    "summary": _text,
    "description": _text,
    "author": _text,
    "image": _text,
    "series": _text,
    "series_part": _positive_int,
}


# Standalone pages: no date, and no post-only fields such as tags or series
# (kept as written, like any unknown field).
PAGE_REQUIRED = ("title",)
PAGE_PROCESSORS = {
    "title": _title,
    "updated": parse_datetime,
    "draft": _bool,
    "description": _text,
    "image": _text,
    "nav": _text,
    "nav_order": _order,
    "template": _template,
}


def normalise(fields, path, lines=None, processors=None, required=REQUIRED):
    """Check and convert ``fields``; return a new dict of typed values.

    :param processors: the field table (default :data:`PROCESSORS`, posts'; pages
        use :data:`PAGE_PROCESSORS` with ``required=PAGE_REQUIRED``).
    :raise FieldError: a required field is missing or a value is unusable.
    """
    lines = lines or {}
    processors = PROCESSORS if processors is None else processors
    fields = {str(key).lower(): value for key, value in fields.items()}
    for name in required:
        if fields.get(name) in (None, ""):
            raise FieldError(path, f"required field '{name}' is missing", line=1, field=name)
    meta = {}
    for name, value in fields.items():
        processor = processors.get(name)
        if processor is None:
            meta[name] = value
            continue
        if value is None and name not in required:
            continue
        try:
            meta[name] = processor(value)
        except ValueError as exc:
            raise FieldError(path, str(exc), line=lines.get(name), field=name) from None
    meta.setdefault("tags", [])
    meta.setdefault("draft", False)
    return meta
