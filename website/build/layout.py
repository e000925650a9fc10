"""Where each URL lives on disk, so static hosts serve the site's own URLs unchanged.

``/`` is ``index.html``; an HTML page at ``/x/y`` is ``x/y.html`` (GitHub
Pages, Netlify and Cloudflare Pages answer ``/x/y`` with it); other URLs keep
their name (``/feed.xml``, ``/static/css/site.css``); the query string is
dropped (``/code.css?v=1`` is ``code.css``). When a page ``x.html`` sits
beside a folder ``x/`` (``blog.html`` and ``blog/``), the page is also
written as ``x/index.html``: GitHub Pages would otherwise redirect ``/x`` to
``/x/`` and answer 404.
"""
import posixpath
from urllib.parse import unquote, urlsplit

NOT_FOUND_FILE = "404.html"


class CollisionError(Exception):
    """Two URLs would be written to one file."""


def file_for(url, html):
    """The output file (relative, ``/``-separated) for ``url``; ``html`` if it answers HTML."""
    path = unquote(urlsplit(url).path)
    parts = path.split("/")
    if any(part in (".", "..") for part in parts) or "\0" in path or "\\" in path:
        raise CollisionError(f"{url}: can't be a file name")
    name = path.strip("/")
    if not name:
        return "index.html" if html else NOT_FOUND_FILE
    if html and not name.endswith(".html"):
        return name + ".html"
    return name


def folder_indexes(files):
    """``{copy: original}``: ``x/index.html`` for each page ``x.html`` beside a folder ``x/``."""
    folders = set()
    for name in files:
        folders.update(_parents(name))
    copies = {}
    for name in files:
        if name.endswith(".html") and name[:-5] in folders:
            copies[name[:-5] + "/index.html"] = name
    return copies


def _parents(name):
    parent = posixpath.dirname(name)
    while parent:
        yield parent
        parent = posixpath.dirname(parent)


def check_collisions(owners):
    """Raise :class:`CollisionError` naming both URLs when two of ``owners`` share a file.

    :param owners: ``[(file, url)]``. Names differing only in case collide
        too: they would overwrite each other on macOS and Windows disks.
    """
    seen = {}
    for name, url in owners:
        key = name.casefold()
        if key in seen and seen[key][1] != url:
            other_name, other_url = seen[key]
            where = name if other_name == name else f"{other_name} and {name}"
            raise CollisionError(f"{other_url} and {url} would both be written to {where}; "
                                 "change one of them (a post's slug: its file name or "
                                 "'slug' field)")
        seen.setdefault(key, (name, url))
    folders = {}
    for name, url in owners:
        for parent in _parents(name):
            folders.setdefault(parent.casefold(), url)
    for key, (name, url) in seen.items():
        if key in folders:
            raise CollisionError(f"{url} is written to the file {name}, but {folders[key]} "
                                 f"needs a folder of that name; change one of them")
