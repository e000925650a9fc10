"""A link checker for a built site: every internal link and anchor must lead somewhere.

Crawls the files of a build folder with html.parser (pages) and ElementTree
(sitemap, feeds), resolving URLs the way static hosts do
(:func:`website.build.preview.resolve`).
"""
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from website.build.preview import resolve

LINK_ATTRS = {"href", "src", "data-endpoint"}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)
            elif name in LINK_ATTRS and value is not None:
                self.links.append((tag, value))
            elif name == "srcset" and value:
                self.links += [(tag, item.split()[0]) for item in value.split(",") if item.strip()]


def page_links(path):
    """``(links, ids)`` of the HTML file at ``path``."""
    parser = _Links()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return parser.links, parser.ids


def xml_links(path):
    """Every URL an XML file links to: sitemap ``loc``s, Atom ``link href``s."""
    root = ET.parse(path).getroot()
    found = [el.text for el in root.iter() if el.tag.endswith("}loc") and el.text]
    found += [el.get("href") for el in root.iter() if el.tag.endswith("}link") and el.get("href")]
    return found


def internal_path(url, page_url, site_url):
    """The path and fragment of ``url`` if it points into the site, else None."""
    absolute = urljoin(site_url + page_url, url)
    if not absolute.startswith(site_url + "/") and absolute != site_url:
        return None
    parts = urlsplit(absolute)
    return parts.path or "/", parts.fragment


def check_site(root, site_url, page_urls):
    """Broken links in the build at ``root``: ``[(from page, link, why)]``.

    :param page_urls: ``{file: url}`` of the pages to crawl.
    """
    root = Path(root).resolve()
    broken, ids_of = [], {}
    for name, url in page_urls.items():
        path = root / name
        if name.endswith(".html"):
            links, ids = page_links(path)
            ids_of[path.resolve()] = ids
            targets = [(url, link) for _tag, link in links]
        elif name.endswith(".xml"):
            targets = [(url, link) for link in xml_links(path)]
        else:
            continue
        for page, link in targets:
            found = internal_path(link, page, site_url)
            if found is None:
                continue
            target_path, fragment = found
            target = resolve(root, target_path)
            if target is None:
                broken.append((page, link, "no such file"))
            elif fragment:
                ids = ids_of.get(target)
                if ids is None and target.suffix == ".html":
                    ids = ids_of.setdefault(target, page_links(target)[1])
                if ids is not None and unquote(fragment) not in ids:
                    broken.append((page, link, f"no id '{fragment}' there"))
    return broken
