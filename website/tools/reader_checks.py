"""Checks for what readers can't see: ``flask --app website check``'s warnings on
images without a text alternative, links that say nothing out of context, and
local images too heavy to send that the image pipeline can't shrink.

Each check works on the rendered body (Markdown images and raw ``<img>``
alike) and names the line each finding is written on. No Flask here.
"""
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from ..content.images import can_shrink

# Link texts that say nothing about where the link goes (WCAG 2.4.4).
VAGUE_LINK_TEXTS = {"here", "click here", "this", "link"}


class _Body(HTMLParser):
    """The images (attributes) and links (href, text) of a rendered body."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.images, self.links = [], []
        self._link = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag == "a":
            self._link = [dict(attrs).get("href") or "", []]

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            href, text = self._link
            self.links.append((href, " ".join("".join(text).split())))
            self._link = None

    def handle_data(self, data):
        if self._link is not None:
            self._link[1].append(data)


def reader_findings(html, source, local_file, size_limit):
    """``[(line, message)]`` for the body ``html`` written in ``source``.

    :param source: a :class:`~website.content.source_scan.Source` of the file.
    :param local_file: ``url -> Path or None``: the file of a local image.
    :param size_limit: bytes; a local image bigger than this that the
        pipeline can't shrink is reported (0: never).
    """
    body = _Body(html)
    found = []
    for image in body.images:
        src = (image.get("src") or "").strip()
        line = source.line_of(src, src.replace("&", "&amp;"), unquote(src)) if src else None
        message = _alt_problem(image, src, source.line_text(line) if line else "")
        if message:
            found.append((line, message))
        path = local_file(src) if src else None
        if size_limit and path is not None and path.is_file():
            size = path.stat().st_size
            if size > size_limit and not can_shrink(path):
                found.append((line, f"image {src} is {size / 1024:.0f} KB and can't be made "
                              f"smaller here ({path.suffix or 'no extension'} is sent as it "
                              f"is); over {size_limit / 1024:.0f} KB is slow on phones: "
                              "convert it (a video or WebP for an animation)"))
    for href, text in body.links:
        if text.lower().strip(" .:!") in VAGUE_LINK_TEXTS:
            line = source.line_of(href, href.replace("&", "&amp;"), unquote(href)) \
                if href else None
            found.append((line, f"link text '{text}' says nothing about where it goes "
                          "(screen readers list links by their text alone); describe the target"))
    return found


def _alt_problem(image, src, written):
    """What is wrong with the text alternative of ``image`` (``written`` on its line)."""
    shown = src or "without src"
    if "alt" not in image:
        return f"image {shown} has no alt text; describe it (alt=\"\" for a decorative image)"
    if (image["alt"] or "").strip():
        return None
    # alt="" written in raw HTML means decorative, on purpose; ![](...) is an omission.
    if src and re.search(r"!\[\s*\]\(\s*<?" + re.escape(src), written):
        return f"image {shown} has an empty alt text; describe it in ![...]({src})"
    return None


def static_file_finder(static_folder, prefix="/static/"):
    """``url -> Path or None``: the file under ``static_folder`` a URL names."""
    folder = Path(static_folder).resolve()

    def find(url):
        path_part = url.split("?", 1)[0].split("#", 1)[0]
        if not path_part.startswith(prefix):
            return None
        path = (folder / unquote(path_part[len(prefix):])).resolve()
        return path if path.is_relative_to(folder) else None
    return find
