"""Start a post or a page: a safe file name from any title, and the file's first lines.

Used by ``flask --app website new-post`` and ``new-page``. No Flask here.
"""
import json
import re
import unicodedata
from pathlib import Path

from ..content import front_matter, metadata

MAX_SLUG_LENGTH = 60
# Letters NFKD doesn't split into an ASCII letter plus accents.
_TRANSLITERATE = str.maketrans({
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ł": "l", "Ł": "L",
    "ı": "i", "&": " and ", "@": " at ", "+": " plus ",
})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class PostExists(Exception):
    """The file (or the slug) for the new post is already taken."""


def slugify(title, max_length=MAX_SLUG_LENGTH):
    """A lowercase ASCII slug for ``title``: ``Ça marche!`` -> ``ca-marche``.

    Accented letters lose their accents; characters with no ASCII form are
    dropped. Returns "" when nothing usable is left (see :func:`slug_for`).
    """
    text = unicodedata.normalize("NFKD", title.translate(_TRANSLITERATE))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    slug = _NOT_SLUG.sub("-", text).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:max_length]
    return slug.strip("-")


def slug_for(title, day):
    """:func:`slugify` of ``title``, or ``post-YYYY-MM-DD`` when that is empty."""
    return slugify(title) or f"post-{day:%Y-%m-%d}"


def _quoted(text):
    # A JSON string is a valid YAML double-quoted scalar: quotes, colons,
    # backslashes and '#' in titles are all safe.
    return json.dumps(text, ensure_ascii=False)


def parse_tags(value):
    """``"a, b,,c"`` -> ``["a", "b", "c"]`` (blank items dropped, order kept)."""
    tags = []
    for item in (value or "").split(","):
        tag = " ".join(item.split())
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def post_text(title, day, tags=(), draft=False):
    """The text of a new post file: YAML front matter and a line to start from."""
    lines = ["---", f"title: {_quoted(title)}", f"date: {day:%Y-%m-%d}"]
    lines.append("tags: [" + ", ".join(_quoted(tag) for tag in tags) + "]")
    if draft:
        lines.append("draft: true")
    lines += ["---", "", "Start writing here. The first paragraph is the summary in lists "
              "and feeds, unless you set `summary:` above.", ""]
    return "\n".join(lines)


def create(folder, title, day, tags=(), draft=False, slug=None, taken=None):
    """Write ``folder/<slug>.md`` for a new post and return its path.

    :param taken: slugs already in use (posts may choose their own with ``slug:``).
    :raise PostExists: the file exists or the slug is in use; nothing is written.
    :raise ValueError: an empty title, or a ``slug`` that can't be a file name.
    """
    title = " ".join(title.split())
    if not title:
        raise ValueError("the title is empty")
    slug = slug or slug_for(title, day)
    if not re.fullmatch(r"[\w(][\w.()-]*", slug):
        raise ValueError(f"{slug!r} can't be a slug: use letters, digits and '-'")
    path = Path(folder) / f"{slug}.md"
    if taken and slug in taken:
        raise PostExists(f"the slug '{slug}' is already used by {taken[slug]}")
    text = post_text(title, day, tags, draft)
    header = front_matter.split(text, path)   # what we write must read back the same
    meta = metadata.normalise(header.fields, path, header.lines)
    if meta["title"] != title or meta["tags"] != list(tags):
        raise RuntimeError(f"the new post's header doesn't read back as written: {meta}")
    return _write_new(path, text)


def page_text(title, nav_order=None):
    """The text of a new page file: YAML front matter and a line to start from.

    :param nav_order: its place in the header navigation; None leaves it out.
    """
    lines = ["---", f"title: {_quoted(title)}", 'description: ""']
    if nav_order is not None:
        lines += [f"nav: {_quoted(title)}", f"nav_order: {int(nav_order)}"]
    lines += ["---", "", "Start writing here. `description:` above is what search engines "
              "and link previews show.", ""]
    return "\n".join(lines)


def create_page(folder, title, nav_order=None, slug=None, taken=None, reserved=()):
    """Write ``folder/<slug>.md`` for a new standalone page and return its path.

    :param nav_order: its place in the header navigation; None: not linked there.
    :param slug: its address below the site (``about``, ``projects/foo``).
    :param taken: addresses of the pages there already.
    :param reserved: first path parts the site's routes own.
    :raise PostExists: the file exists or the address is in use; nothing is written.
    :raise ValueError: an empty title, or a ``slug`` that can't be an address.
    """
    title = " ".join(title.split())
    if not title:
        raise ValueError("the title is empty")
    slug = (slug or slugify(title)).strip("/")
    parts = slug.split("/")
    if not slug or not all(re.fullmatch(r"[\w(][\w.()-]*", part) for part in parts):
        raise ValueError(f"{slug!r} can't be an address: use letters, digits, '-' and '/'")
    if parts[0] in reserved:
        raise ValueError(f"/{parts[0]} belongs to the site itself; choose another --slug")
    if taken and slug in taken:
        raise PostExists(f"the address /{slug} is already used by {taken[slug]}")
    path = Path(folder, *parts[:-1]) / f"{parts[-1]}.md"
    text = page_text(title, nav_order)
    header = front_matter.split(text, path)   # what we write must read back the same
    meta = metadata.normalise(header.fields, path, header.lines, metadata.PAGE_PROCESSORS,
                              metadata.PAGE_REQUIRED)
    if meta["title"] != title:
        raise RuntimeError(f"the new page's header doesn't read back as written: {meta}")
    return _write_new(path, text)


def _write_new(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        raise PostExists(f"{path} already exists; not overwriting it") from None
    return path
