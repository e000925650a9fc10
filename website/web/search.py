"""``/search?q=...``: the posts matching a query, best first, as a plain HTML page.

Works without JavaScript: the form in the header is a GET form to this
page. The index (:mod:`..content.search_index`) follows the post collection,
so edits show on the next search. Drafts and scheduled posts are found only
where every page shows them (the dev server, ``SHOW_DRAFTS``).
"""
import logging
import re
import threading
from urllib.parse import unquote_to_bytes

from flask import Blueprint, abort, current_app, render_template, request
from markupsafe import Markup

from ..content import search_query
from ..content.search_index import SearchIndex, SearchNotReady, SearchTimeout
from .store import now, preview, site_tz

logger = logging.getLogger(__name__)

MAX_PAGE = 100
UNAVAILABLE = "Search is not available on this server."
_PAGE = re.compile(r"[0-9]{1,6}")

bp = Blueprint("search", __name__)


def init_app(app):
    """Index the app's posts (kept in step with the collection) and serve ``/search``."""
    index = SearchIndex(site_tz(app), start_at_once=False)
    app.extensions["search"] = index
    lock, following = threading.Lock(), []

    @app.before_request
    def _follow_the_posts():
        # From the first request on (commands such as ``check`` need no index):
        # built in the background from the posts as read, once the first
        # page is answered (searches wait for it, other pages don't), then
        # kept in step with each change.
        if not following:
            with lock:
                if not following:
                    app.extensions["posts"].on_change(index.follow)
                    following.append(True)

    @app.teardown_request
    def _start_the_index(_error=None):
        if following:
            index.start()
    # Named, so the static build (which has no /search) can leave it out.
    app.extensions["search.follow"] = _follow_the_posts
    app.add_template_global(search_available)
    app.add_template_global(search_query.MAX_LENGTH, "search_max_length")
    app.add_template_global(search_query.MAX_TERMS, "search_max_terms")
    app.register_blueprint(bp)


def search_index():
    """The current app's :class:`SearchIndex`."""
    return current_app.extensions["search"]


def search_available():
    """True when this server can search (its SQLite has FTS5)."""
    return search_index().available


@bp.get("/search")
def search():
    """One page of results for ``q``; a bad ``q`` or ``page`` gets a 400 that says why.

    :raise 404: a page past the last page of results.
    """
    problem = _bad_request()
    query = search_query.parse(request.args.get("q", ""))
    context = {"query": query, "results": None, "hits": [], "message": problem,
               "noindex": True}
    if not problem:
        context.update(_search(query, int(request.args.get("page", "1"))))
    html = render_template("search.html", **context)
    return html, 400 if problem else 200, {"X-Robots-Tag": "noindex"}


def _search(query, page):
    """The template's ``results`` and ``hits`` for ``query``, or its ``message``."""
    if not search_available():
        return {"message": UNAVAILABLE}
    if not query:
        return {}
    try:
        results = search_index().search(query, now(), preview(), page, _per_page())
    except SearchTimeout:
        logger.warning("Search for %r stopped: it ran too long", query.text)
        return {"message": "This search took too long. Try fewer or longer words."}
    except SearchNotReady:
        logger.warning("Search for %r came before the index was built", query.text)
        return {"message": "Search is still getting ready. Try again in a moment."}
    if page > results.pages:
        abort(404)
    hits = [(hit.post, Markup(hit.title_html), Markup(hit.snippet_html)) for hit in results.hits]
    return {"results": results, "hits": hits}


def _bad_request():
    """What is wrong with this request's query string, for the reader, or ""."""
    raw = request.query_string
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return "The search could not be read: it is not valid UTF-8 text."
    page = request.args.get("page", "1")
    if not _PAGE.fullmatch(page) or not 1 <= int(page) <= MAX_PAGE:
        return f"There is no page “{page[:20]}” of results: pages go from 1 to {MAX_PAGE}."
    return ""


def _per_page():
    return max(1, int(current_app.config["SEARCH_RESULTS_PER_PAGE"]))
