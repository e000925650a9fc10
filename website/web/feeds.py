"""Atom feeds: the latest posts at ``/feed.xml`` and one per tag.

Only published posts appear, on the dev server too. Links are absolute
(``SITE_URL``); an entry's id is its post's absolute URL, so it stays the
same for as long as the post keeps its address.
"""
import datetime as dt
import hashlib
import logging

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, current_app, request

from ..content import html_links
from ..content.post import tag_slug
from .public import external_url, public_posts
from .store import get_tag_or_404, site_tz

logger = logging.getLogger(__name__)

ATOM_TYPE = "application/atom+xml; charset=utf-8"
# The class of the "#" links the renderer adds to headings (rendering.py).
PERMALINK_CLASS = "permalink"

bp = Blueprint("feeds", __name__)


def init_app(app):
    """Serve the feeds."""
    app.register_blueprint(bp)


@bp.get("/feed.xml")
def site_feed():
    """The latest ``FEED_POSTS`` published posts."""
    config = current_app.config
    posts = public_posts()[:int(config["FEED_POSTS"])]
    xml = build_feed(posts, title=config["SITE_TITLE"], subtitle=config["SITE_DESCRIPTION"],
                     feed_url=external_url("feeds.site_feed"),
                     page_url=external_url("blog.home"))
    return atom_response(xml)


@bp.get("/blog/tag/<tag>/feed.xml")
def tag_feed(tag):
    """The latest ``FEED_POSTS`` published posts with ``tag``.

    :raise 404: no published post has the tag.
    """
    name, slug, posts = get_tag_or_404(tag, public_posts(), "feeds.tag_feed")
    config = current_app.config
    xml = build_feed(posts[:int(config["FEED_POSTS"])],
                     title=f"{config['SITE_TITLE']}: posts tagged “{name}”",
                     subtitle=f"Posts about {name} on {config['SITE_TITLE']}.",
                     feed_url=external_url("feeds.tag_feed", tag=slug),
                     page_url=external_url("blog.tag", tag=slug))
    return atom_response(xml)


def build_feed(posts, title, subtitle, feed_url, page_url):
    """An Atom document (bytes) for ``posts``, in the order given."""
    config = current_app.config
    tz = site_tz()
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(title)
    if subtitle:
        feed.subtitle(subtitle)
    feed.author(name=config["AUTHOR"])
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.language(config["SITE_LANGUAGE"])
    feed.generator("website")
    stamps = [post.updated_at(tz) for post in posts]
    feed.updated(max(stamps) if stamps else dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))
    for post in posts:
        _add_entry(feed, post, tz, full=bool(config["FEED_FULL_CONTENT"]))
    return feed.atom_str(pretty=True)


def _add_entry(feed, post, tz, full):
    url = external_url("blog.post", slug=post.slug)
    entry = feed.add_entry(order="append")
    entry.id(url)
    entry.title(post.title)
    entry.link(href=url, rel="alternate", type="text/html")
    entry.published(post.published_at(tz))
    entry.updated(post.updated_at(tz))
    if post.author:
        entry.author(name=post.author)
    if post.description:
        entry.summary(post.description)
    if full and post.render_error is None:   # else the summary alone
        body = html_links.drop_links(post.html, PERMALINK_CLASS)
        entry.content(html_links.absolutize(body, url), type="html")
    for tag in post.tags:
        entry.category(term=tag_slug(tag), label=tag,
                       scheme=external_url("blog.tag", tag=tag_slug(tag)).rsplit("/", 1)[0] + "/")


def atom_response(xml):
    """``xml`` served as Atom, with an ETag so feed readers can ask cheaply."""
    response = Response(xml, content_type=ATOM_TYPE)
    response.set_etag(hashlib.sha256(xml).hexdigest()[:16])
    return response.make_conditional(request)
