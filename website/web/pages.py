"""Standalone pages (``pages/about.md`` at ``/about``): their collection, view and links.

A page never takes an address the site's own routes answer: a page under a
route's first path part (``blog``, ``static``, ``feed.xml``...) is not
served (``check`` reports it), so the route always wins.
"""
from pathlib import Path

from flask import Blueprint, abort, current_app, g, render_template
from jinja2 import TemplateNotFound

from ..content.collection import PageCollection
from ..content.page import page_slug
from .store import broken_posts, preview, site_tz

bp = Blueprint("pages", __name__)


def init_app(app):
    """Attach a :class:`PageCollection` for ``PAGES_DIR``, keep it fresh, serve its pages."""
    folder = Path(app.config["PAGES_DIR"])
    if not folder.is_absolute():
        folder = Path(app.root_path).parent / folder
    app.config["PAGES_DIR"] = str(folder)
    pages = PageCollection(folder, app.config["POSTS_CHECK_INTERVAL"], site_tz(app),
                           template_exists=lambda name: _template_exists(app, name))
    app.extensions["pages"] = pages
    app.register_blueprint(bp)
    app.add_template_global(nav_links)

    @app.before_request
    def _refresh_pages():
        pages.check_interval = 0 if app.debug else app.config["POSTS_CHECK_INTERVAL"]
        pages.refresh()


def _template_exists(app, name):
    try:
        app.jinja_env.loader.get_source(app.jinja_env, name)
    except TemplateNotFound:
        return False
    return True


def collection():
    """The current app's :class:`PageCollection`."""
    return current_app.extensions["pages"]


def reserved_prefixes(app=None):
    """First path parts the site's routes own: ``blog``, ``static``, ``feed.xml``...

    Worked out once per app, on first use (its routes are all known by then).
    """
    app = app or current_app
    found = app.extensions.get("reserved_prefixes")
    if found is None:
        found = frozenset(
            first for rule in app.url_map.iter_rules() if rule.endpoint != "pages.page"
            for first in [rule.rule.lstrip("/").split("/", 1)[0]] if first and "<" not in first)
        app.extensions["reserved_prefixes"] = found
    return found


def shadowed(slug, app=None):
    """True when a route of the site owns the address of the page ``slug``."""
    return slug.split("/", 1)[0] in reserved_prefixes(app)


def public_pages():
    """Pages readers see, whatever the mode: no drafts, none under a route."""
    return [page for page in collection().visible(None) if not shadowed(page.slug)]


def visible_pages():
    """Pages this request may show (drafts too on the dev server and with ``SHOW_DRAFTS``)."""
    return [page for page in collection().visible(None, preview()) if not shadowed(page.slug)]


def nav_links():
    """The header's links: ``NAV_LINKS`` in their order, then pages with a ``nav`` label.

    Pages come by ``nav_order`` (then label); one whose address ``NAV_LINKS``
    already lists keeps that entry's place and label. Worked out once per
    request (a page asks twice: for the links and for the current one).
    """
    if "nav_links" not in g:
        links = [tuple(link) for link in current_app.config["NAV_LINKS"]]
        listed = {href for _label, href in links}
        shown = {page.slug for page in visible_pages()}
        links += [(label, href) for label, href in collection().navigation()
                  if href not in listed and href[1:] in shown]
        g.nav_links = tuple(links)
    return g.nav_links


@bp.get("/<path:slug>")
def page(slug):
    """A standalone page, in its own template (``template:``) or ``page.html``.

    :raise 404: no such page, a draft outside preview, or an address a route owns.
    :raise 500: its body can't be rendered.
    """
    pages = collection()
    found = pages.get(slug)
    if found is None and not shadowed(slug):
        # On the dev server, a page that failed to load shows its error at its address.
        errors = [broken for broken in broken_posts(pages, lambda p: page_slug(p, pages.folder))
                  if broken.slug == slug]
        if errors:
            return render_template("post_error.html", errors=errors, slug=slug, kind="page"), 500
    if found is None or shadowed(slug) or not (preview() or found.is_public(None)):
        abort(404)
    if found.render_error:
        abort(500)
    return render_template(found.template, page=found)
