"""The app's post collection: created once, refreshed before each request."""
import datetime as dt
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import abort, current_app, g, redirect, url_for

from ..content.collection import PostCollection, tag_index
from ..content.post import tag_slug

logger = logging.getLogger(__name__)


def init_app(app):
    """Attach a :class:`PostCollection` for ``POSTS_DIR`` and keep it fresh."""
    folder = Path(app.config["POSTS_DIR"])
    if not folder.is_absolute():
        folder = Path(app.root_path).parent / folder
    app.config["POSTS_DIR"] = str(folder)
    collection = PostCollection(folder, app.config["POSTS_CHECK_INTERVAL"], site_tz(app))
    cache = app.config["CACHE_DIR"]
    if cache is None:
        cache = Path(app.instance_path) / "cache"
    if cache:
        # A restart reads only the posts that changed (see content.read_cache).
        collection.keep_on_disk(Path(cache) / "posts.pickle")

        @app.teardown_request
        def _keep_posts(_error=None):
            # Once the page is answered, not before it.
            if collection.unsaved:
                threading.Thread(target=collection.save, name="keep-posts", daemon=True).start()
        # Named, so the static build (whose workers must not write it) can leave it out.
        app.extensions["posts.keep"] = _keep_posts
    # Read on first use, front matter only: bodies render when first viewed.
    app.extensions["posts"] = collection

    @app.before_request
    def _refresh_posts():
        # The dev server looks at every request; production at most every interval.
        collection.check_interval = 0 if app.debug else app.config["POSTS_CHECK_INTERVAL"]
        collection.refresh()


def site_tz(app=None):
    """The site's time zone (``TIMEZONE``), for dates written without one."""
    name = (app or current_app).config["TIMEZONE"]
    return dt.timezone.utc if name.upper() == "UTC" else ZoneInfo(name)


def collection():
    """The current app's :class:`PostCollection`."""
    return current_app.extensions["posts"]


def now():
    """This request's idea of now, in the site's time zone."""
    if "now" not in g:
        g.now = dt.datetime.now(site_tz())
    return g.now


def preview():
    """True where drafts and scheduled posts are shown: debug or ``SHOW_DRAFTS``."""
    return bool(current_app.debug or current_app.config["SHOW_DRAFTS"])


def visible_posts():
    """Posts this request may show, newest first (worked out once per request)."""
    if "visible_posts" not in g:
        g.visible_posts = collection().visible(now(), preview())
    return g.visible_posts


def get_post_or_404(slug):
    """The visible post with ``slug``.

    :raise 404: no such post, or it is a draft or scheduled and not previewed.
    """
    post = collection().get(slug)
    if post is None or not (preview() or post.is_public(now())):
        abort(404)
    return post


def get_tag_or_404(tag, posts, endpoint, **values):
    """``(name as written, slug, posts with the tag)`` among ``posts``.

    Another spelling of a known tag (``Web Development``) redirects to
    ``endpoint`` at its URL form (``web-development``), with ``values``.

    :raise 404: no post in ``posts`` has the tag.
    """
    slug = tag_slug(tag)
    found = tag_index(posts).get(slug)
    if found is None:
        abort(404)
    if tag != slug:
        abort(redirect(url_for(endpoint, tag=slug, **values), 301))
    name, tagged = found
    return name, slug, tagged


@dataclass(frozen=True)
class BrokenPost:
    """A post file that failed to load, for the dev server's pages."""

    slug: str        # the address it would have: its slug field when readable, else its file name
    path: str        # relative to the project when inside it
    line: object     # 1-based line, or None
    message: str     # field and message, as check prints them


def broken_posts(posts=None, slug_of=None):
    """The posts that failed to load, on the dev server only (debug); [] in production.

    :param posts: another collection (the pages); :param slug_of: ``path -> address``
        for it (default: the slug field when readable, else the file name).
    """
    if not current_app.debug:
        return []
    project = Path(current_app.root_path).parent
    found = []
    for error in (posts or collection()).errors:
        path = Path(error.path)
        shown = path.relative_to(project) if path.is_relative_to(project) else path
        field = f"{error.field}: " if error.field else ""
        slug = slug_of(path) if slug_of else getattr(error, "slug", None) or path.stem
        found.append(BrokenPost(slug, str(shown), error.line, field + error.message))
    return sorted(found, key=lambda broken: broken.path)
