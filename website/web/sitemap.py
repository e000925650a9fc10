"""``/sitemap.xml`` (every public page, standalone pages too, with ``lastmod``) and ``/robots.txt``.

Drafts and scheduled posts never appear, on the dev server too.
"""
import logging
import xml.etree.ElementTree as ET

from flask import Blueprint, Response, current_app

from ..content.collection import tag_index
from .pages import public_pages as standalone_pages
from .public import external_url, public_posts
from .store import site_tz

logger = logging.getLogger(__name__)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"

bp = Blueprint("sitemap", __name__)


def init_app(app):
    """Serve the sitemap and robots.txt."""
    app.register_blueprint(bp)


def public_pages():
    """``[(absolute URL, lastmod datetime or None)]`` for every public page."""
    tz = site_tz()
    # A post shows on several pages (its own, the home page, /blog, the
    # archive, its tags' pages): its date is worked out once.
    stamps = {}

    def updated(item):
        found = stamps.get(id(item))
        if found is None:
            found = stamps[id(item)] = item.updated_at(tz)
        return found

    routes = public_routes()        # holds every item: their ids stay theirs
    return [(external_url(endpoint, **values), max(map(updated, shown), default=None))
            for endpoint, values, shown in routes]


def public_routes():
    """``[(endpoint, values, shown)]`` for every public page, in the sitemap's order.

    ``shown`` holds what the page's ``lastmod`` comes from: the posts it
    lists, the post itself, or the standalone page.
    """
    posts = public_posts()
    routes = [("blog.home", {}, posts)]
    routes += _pages(posts, "blog.index")
    routes.append(("archive.archive", {}, posts))
    routes += [("blog.post", {"slug": post.slug}, (post,)) for post in posts]
    for slug, (_name, tagged) in sorted(tag_index(posts).items()):
        routes += _pages(tagged, "blog.tag", tag=slug)
    routes += [("pages.page", {"slug": page.slug}, (page,)) for page in standalone_pages()]
    return routes


def _pages(posts, endpoint, **values):
    """The pages of a paginated list of ``posts``, each with the posts it shows."""
    per_page = max(1, int(current_app.config["POSTS_PER_PAGE"]))
    pages = max(1, -(-len(posts) // per_page))
    routes = [(endpoint, values, posts)]
    for page in range(2, pages + 1):
        routes.append((endpoint, {"page": page, **values},
                       posts[(page - 1) * per_page:page * per_page]))
    return routes


@bp.get("/sitemap.xml")
def sitemap():
    """The sitemap protocol's ``urlset``."""
    ET.register_namespace("", SITEMAP_NS)
    urlset = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for url, lastmod in public_pages():
        item = ET.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(item, f"{{{SITEMAP_NS}}}loc").text = url
        if lastmod is not None:
            ET.SubElement(item, f"{{{SITEMAP_NS}}}lastmod").text = lastmod.isoformat()
    ET.indent(urlset)
    xml = ET.tostring(urlset, encoding="utf-8", xml_declaration=True)
    return Response(xml, content_type="application/xml; charset=utf-8")


@bp.get("/robots.txt")
def robots():
    """Everything may be crawled; the sitemap says what there is."""
    text = f"User-agent: *\nAllow: /\n\nSitemap: {external_url('sitemap.sitemap')}\n"
    return Response(text, content_type="text/plain; charset=utf-8")
