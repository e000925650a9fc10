"""Find and rewrite the URLs in a piece of HTML (links, images, media).

Used by the post checker (which URLs does a post point to?) and by the feeds
(readers need absolute URLs). No Flask here.
"""
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

# (tag, attribute) pairs that hold one URL, and those that hold a srcset.
URL_ATTRS = {
    ("a", "href"), ("area", "href"), ("link", "href"),
    ("img", "src"), ("source", "src"), ("video", "src"), ("video", "poster"),
    ("audio", "src"), ("track", "src"), ("iframe", "src"), ("embed", "src"),
    ("object", "data"),
}
SRCSET_ATTRS = {("img", "srcset"), ("source", "srcset")}
IMAGE_TAGS = {"img", "source", "video"}

_ATTR = re.compile(r"""(?P<name>[\w:-]+)(?P<eq>\s*=\s*)(?P<q>["'])(?P<value>.*?)(?P=q)""",
                   re.DOTALL)
_START_TAG = re.compile(r"<(?P<tag>[a-zA-Z][\w-]*)(?P<attrs>[^<>]*)>")
_CLASSED_LINK = r"""<a\b[^>]*\bclass\s*=\s*(["'])(?:[^"']*\s)?{}(?:\s[^"']*)?\1[^>]*>.*?</a>"""


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if (tag, name) in URL_ATTRS:
                self.found.append((tag, name, value.strip()))
            elif (tag, name) in SRCSET_ATTRS:
                self.found.extend((tag, name, url) for url in srcset_urls(value))

    handle_startendtag = handle_starttag


def urls(html):
    """Every ``(tag, attribute, url)`` in ``html``, in document order."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.found


def srcset_urls(value):
    """The URLs of a ``srcset`` value (``a.png 1x, b.png 2x``)."""
    return [part.split()[0] for part in value.split(",") if part.split()]


def absolutize(html, base):
    """``html`` with every URL attribute resolved against ``base``.

    Fragment-only links (``#fn:1``) become ``base#fn:1``, so they still work
    when the HTML is read outside its page (in a feed reader).
    """
    def fix_attrs(tag, attrs):
        def fix(match):
            name = match["name"].lower()
            value = match["value"]
            if (tag, name) in URL_ATTRS:
                value = _join(base, value)
            elif (tag, name) in SRCSET_ATTRS:
                value = ", ".join(_join_srcset_item(base, item)
                                  for item in value.split(",") if item.strip())
            else:
                return match.group(0)
            return f'{match["name"]}{match["eq"]}{match["q"]}{value}{match["q"]}'
        return _ATTR.sub(fix, attrs)

    def fix_tag(match):
        tag = match["tag"].lower()
        return f'<{match["tag"]}{fix_attrs(tag, match["attrs"])}>'

    return _START_TAG.sub(fix_tag, html)


def _join(base, value):
    stripped = value.strip()
    if not stripped or stripped.startswith(("data:", "mailto:", "tel:", "javascript:")):
        return value
    return urljoin(base, stripped)


def _join_srcset_item(base, item):
    parts = item.split()
    return " ".join([_join(base, parts[0])] + parts[1:])


def drop_links(html, css_class):
    """``html`` without the ``<a class="css_class">...</a>`` links, text included.

    The feeds drop the headings' permalink marks this way: in a feed reader
    they are a stray ``#`` after each heading.
    """
    pattern = re.compile(_CLASSED_LINK.format(re.escape(css_class)), re.DOTALL | re.IGNORECASE)
    return pattern.sub("", html)
