"""Every URL the build writes, where it goes, and a fingerprint of what it shows.

The URLs are the sitemap's (:func:`public_routes`, each with its endpoint,
so no URL is matched against the routes again), plus the feeds,
``robots.txt``, the 404 page, the static files, the code stylesheet and the
static search page (:mod:`.search`, the one page not asked of the app). A
page's fingerprint hashes everything its bytes depend on: the posts it shows
(their file's digest), the site's settings, templates, code and static
files. A page whose fingerprint is unchanged since the last build is not
rendered again.
"""
import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, url_for

from ..content.collection import tag_index
from ..web.assets import code_css_url
from ..web.pages import collection as page_collection, nav_links
from ..web.public import external_url, public_posts, site_url
from ..web.related import related_posts
from ..web.series import series_posts
from ..web.sitemap import public_routes
from . import layout, search, search_parts

PACKAGE = Path(__file__).resolve().parent.parent


@dataclass
class Page:
    """One URL to write: where, what it depends on, and roughly how big it is."""

    url: str                  # path and query, as the app is asked
    html: bool                # written as .html (pages) or under its own name
    fingerprint: str
    cost: int = 1             # its rendering time, roughly (see COST): big pages start first
    status: int = 200         # what the app must answer (404 for the 404 page)
    post: str = ""            # the slug of the post, on a post's own page
    file: str = ""            # where it is written (from the URL)
    static_search: bool = False   # the static build's own /search page, not the app's

    def __post_init__(self):
        self.file = layout.file_for(self.url, self.html)


# Settings no page shows: the secret key, and what Flask's command line puts
# in the environment, which create_app reads with every other FLASK_*
# variable: FLASK_APP, FLASK_RUN_FROM_CLI (set by ``flask`` itself), and a
# command's options (FLASK_BUILD_JOBS is ``build --jobs``). Otherwise the same
# site built by ``flask --app website build`` and by ``FLASK_APP=website flask
# build`` (or from Python) would be rendered again in full by the other.
NOT_SHOWN = frozenset({"SECRET_KEY", "APP", "RUN_FROM_CLI", "SKIP_DOTENV"})
COMMAND_OPTIONS = ("BUILD_", "PREVIEW_", "RUN_")


def shows_in_pages(setting):
    """False for a setting of :data:`NOT_SHOWN` or a command's option, which no page shows."""
    return setting not in NOT_SHOWN and not setting.startswith(COMMAND_OPTIONS)


# A page's cost is about how long it takes to render, in tenths of a
# millisecond: a card in a listing is one, a post's own page (its Markdown,
# unless cached) 25, a feed entry (the post's whole body) 3, a line of the
# sitemap a third. The workers start with the biggest pages, and fork only
# for enough work (workers.SMALL_JOB).
COST = {"post": 25, "feed entry": 3, "sitemap line": 1 / 3, "archive line": 1 / 4}


def site_fingerprint(app):
    """What every page depends on: code, templates, settings, static files, the year."""
    digest = hashlib.sha256()
    for folder in (PACKAGE, Path(app.root_path, app.template_folder or "templates")):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".html", ".xml", ".txt", ".j2", ".jinja"):
                digest.update(f"{path.relative_to(folder)}\0".encode() + path.read_bytes())
    settings = {key: value for key, value in app.config.items() if shows_in_pages(key)}
    digest.update(json.dumps(settings, sort_keys=True, default=repr).encode())
    for relative, stamp in static_files(app.static_folder):
        digest.update(f"{relative}\0{stamp}\n".encode())
    digest.update(str(dt.date.today().year).encode())   # the footer's copyright year
    with app.test_request_context():
        digest.update(repr(nav_links()).encode())       # pages in the header of every page
    return digest.hexdigest()


# Static files only the dev server's pages use: never in the build.
DEV_ONLY_STATIC = {"js/livereload.js"}


def static_files(folder):
    """``[(relative path, "mtime size")]`` of every file under ``folder``, sorted.

    Symbolic links are left out (see :func:`static_links`).
    """
    found = []
    for relative, path in _static_names(folder):
        if not os.path.islink(path):
            info = os.stat(path)
            found.append((relative, f"{info.st_mtime_ns} {info.st_size}"))
    return found


def static_links(folder):
    """Relative paths of the symbolic links under ``folder`` (files and folders), sorted.

    The build leaves them out: Apache serves ``static/`` with ``Options
    None`` and follows no link there, and a link copied into the build as
    its target's bytes would publish whatever it points at.
    """
    return sorted(relative for relative, path in _static_names(folder) if os.path.islink(path))


def _static_names(folder):
    """``(relative path, path)`` of each file under ``folder``, and of each link to a
    folder (never entered), folder by folder in sorted order; hidden names left out."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        linked = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        for name in sorted(linked + [f for f in files if not f.startswith(".")]):
            path = os.path.join(root, name)
            yield os.path.relpath(path, folder).replace(os.sep, "/"), path


def site_pages(site):
    """Every :class:`Page` of the site, inside a request context of the build.

    :param site: the hash from :func:`site_fingerprint`.
    """
    posts = public_posts()
    prefix = site_url()
    pages, seen = [], set()

    def add(url, inputs, html=True, cost=1, status=200, post="", static_search=False):
        if url in seen:
            return
        seen.add(url)
        digest = hashlib.sha256(f"{site}\n{url}\n".encode())
        digest.update(repr(inputs).encode())
        pages.append(Page(url, html, digest.hexdigest(), cost, status, post, "", static_search))

    for endpoint, values, _shown in public_routes():
        url = external_url(endpoint, **values)[len(prefix):]
        add(url, _inputs(endpoint, values, posts), cost=_cost(endpoint, values, posts),
            post=values.get("slug", "") if endpoint == "blog.post" else "")
    feeds = [(url_for("feeds.site_feed"), posts[:_setting("FEED_POSTS")])]
    feeds += [(url_for("feeds.tag_feed", tag=slug), tagged[:_setting("FEED_POSTS")])
              for slug, (_name, tagged) in sorted(tag_index(posts).items())]
    for url, shown in feeds:
        add(url, _versions(shown), html=False, cost=_times(len(shown), "feed entry"))
    add(url_for("sitemap.sitemap"), _versions(posts), html=False,
        cost=_times(len(posts), "sitemap line"))
    add(url_for("sitemap.robots"), (), html=False)
    add(code_css_url(), (), html=False)
    add("/" + layout.NOT_FOUND_FILE, (), status=404)
    add(search.SEARCH_URL, ("pagefind", search.available(), bool(posts),
                            search_parts.merged_urls(post.slug for post in posts)),
        static_search=True)
    for relative, stamp in static_files(current_app.static_folder):
        if relative not in DEV_ONLY_STATIC:
            add(url_for("static", filename=relative), stamp, html=False)
    return pages


def _setting(name):
    return int(current_app.config[name])


def _versions(posts):
    """What identifies what ``posts`` show: each one's slug and file digest, in order."""
    return [(post.slug, post.digest) for post in posts]


def _inputs(endpoint, values, posts):
    """What the page of ``endpoint`` shows, as data (anything unknown: every post)."""
    if endpoint == "blog.home":
        return _versions(posts[:_setting("HOME_POSTS")])
    if endpoint == "blog.index":
        tags = posts.derived("tag_counts", lambda: sorted(
            (slug, name, len(tagged)) for slug, (name, tagged) in tag_index(posts).items()))
        return len(posts), tags, _versions(_page_of(posts, values))
    if endpoint == "blog.post":
        return _post_inputs(values["slug"], posts)
    if endpoint == "blog.tag":
        # Like /blog: how many posts have the tag, and those on this page.
        name, tagged = tag_index(posts).get(values["tag"], ("", []))
        return name, len(tagged), _versions(_page_of(tagged, values))
    if endpoint == "pages.page":
        page = page_collection().get(values["slug"])
        return (page.slug, page.digest, page.mtime_ns) if page else ()
    return _versions(posts)


def _page_of(posts, values):
    """The posts a paginated listing shows on its page ``values["page"]``."""
    per_page = max(1, _setting("POSTS_PER_PAGE"))
    page = values.get("page", 1)
    return posts[(page - 1) * per_page:page * per_page]


def _post_inputs(slug, posts):
    post = _by_slug(posts, slug)
    if post is None:
        return ()
    at = posts.index(post)
    neighbours = posts[max(0, at - 1):at + 2]
    return (_versions(neighbours), _versions(related_posts(post)), _versions(series_posts(post)))


def _by_slug(posts, slug):
    positions = posts.derived("positions", lambda: {p.slug: i for i, p in enumerate(posts)})
    at = positions.get(slug)
    return posts[at] if at is not None else None


def _cost(endpoint, values, posts):
    """Roughly how long the page takes to render (see :data:`COST`)."""
    if endpoint == "blog.post":
        return COST["post"]
    if endpoint == "blog.tag":      # a card per post on the page
        return len(_page_of(tag_index(posts).get(values["tag"], ("", []))[1], values))
    if endpoint == "archive.archive":
        return _times(len(posts), "archive line")
    if endpoint == "blog.index":
        return _setting("POSTS_PER_PAGE")
    if endpoint == "blog.home":
        return _setting("HOME_POSTS")
    return 1


def _times(count, item):
    """The cost of ``count`` times ``item`` (a key of :data:`COST`), at least 1."""
    return max(1, round(count * COST[item]))
