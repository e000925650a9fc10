"""Head tags for search engines and link previews: canonical URL, Open Graph,
Twitter cards, feed links and JSON-LD.

``templates/partials/meta.html`` calls :func:`page_meta` and renders what it
returns. The values come from what the page shows (``post`` on a post page,
``slug`` on a tag page); everything absolute is built from ``SITE_URL``.
"""
import json
import logging
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin

from flask import current_app, request
from jinja2 import pass_context
from markupsafe import Markup

from ..content.collection import tag_index
from ..content.page import Page
from ..content.post import Post
from .public import external_url, public_posts, site_url
from .store import now, site_tz

logger = logging.getLogger(__name__)

_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def init_app(app):
    """Give templates :func:`page_meta` and :func:`~.public.external_url`."""
    app.add_template_global(page_meta)
    app.add_template_global(external_url)


@dataclass
class PageMeta:
    """What the head of one page says about it."""

    canonical: str
    og_type: str = "website"
    og_title: str = ""             # "" means: the page's <title>
    image: str = ""
    published: str = ""
    modified: str = ""
    tags: list = field(default_factory=list)
    feeds: list = field(default_factory=list)   # [(title, absolute URL)]
    json_ld: Markup = Markup("")
    noindex: bool = False


def json_for_script(data):
    """``data`` as JSON that is safe inside a ``<script>`` element (no ``<``, ``>``, ``&``)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _absolute_image(value, base):
    return urljoin(base, value) if value else ""


@pass_context
def page_meta(context):
    """The :class:`PageMeta` of the page being rendered."""
    config = current_app.config
    feeds = [(f"{config['SITE_TITLE']} (all posts)", external_url("feeds.site_feed"))]
    default_image = _absolute_image(config.get("SITE_IMAGE"), site_url() + "/")
    post = context.get("post")
    if isinstance(post, Post):
        return _post_meta(post, feeds, default_image)
    page = context.get("page")
    if isinstance(page, Page):
        return _page_meta(page, feeds, default_image)
    meta = PageMeta(site_url() + quote(request.path, safe=_PATH_SAFE), image=default_image,
                    feeds=feeds, noindex=bool(context.get("noindex")))
    tag, slug = context.get("tag"), context.get("slug")
    if request.endpoint == "blog.tag" and slug:
        meta.canonical = external_url("blog.tag", tag=slug, page=context.get("page") or 1)
        if slug in tag_index(public_posts()):
            feeds.append((f"{config['SITE_TITLE']}: posts tagged “{tag}”",
                          external_url("feeds.tag_feed", tag=slug)))
    elif request.endpoint == "blog.home":
        meta.json_ld = json_for_script({
            "@context": "https://schema.org", "@type": "WebSite",
            "name": config["SITE_TITLE"], "description": config["SITE_DESCRIPTION"],
            "url": external_url("blog.home"), "inLanguage": config["SITE_LANGUAGE"],
        })
    return meta


def _post_meta(post, feeds, default_image):
    config = current_app.config
    tz = site_tz()
    url = external_url("blog.post", slug=post.slug)
    published = post.published_at(tz).isoformat()
    modified = post.updated_at(tz).isoformat()
    image = _absolute_image(post.image, url) or default_image
    author = post.author or config["AUTHOR"]
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "description": post.description,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": published,
        "dateModified": modified,
        "author": {"@type": "Person", "name": author},
        "publisher": {"@type": "Person", "name": config["AUTHOR"],
                      "url": external_url("blog.home")},
        "inLanguage": config["SITE_LANGUAGE"],
        "wordCount": len(post.body.split()),
    }
    if post.tags:
        data["keywords"] = list(post.tags)
    if image:
        data["image"] = image
    if post.series:
        data["isPartOf"] = {"@type": "CreativeWorkSeries", "name": post.series}
    return PageMeta(
        canonical=url, og_type="article", og_title=post.title, image=image,
        published=published, modified=modified, tags=list(post.tags), feeds=feeds,
        json_ld=json_for_script(data), noindex=not post.is_public(now()),
    )


def _page_meta(page, feeds, default_image):
    config = current_app.config
    url = external_url("pages.page", slug=page.slug)
    image = _absolute_image(page.image, url) or default_image
    data = {
        "@context": "https://schema.org", "@type": "WebPage", "name": page.title,
        "description": page.description, "url": url,
        "dateModified": page.updated_at(site_tz()).isoformat(),
        "author": {"@type": "Person", "name": config["AUTHOR"]},
        "isPartOf": {"@type": "WebSite", "name": config["SITE_TITLE"],
                     "url": external_url("blog.home")},
        "inLanguage": config["SITE_LANGUAGE"],
    }
    if image:
        data["image"] = image
    return PageMeta(canonical=url, og_title=page.title, image=image, feeds=feeds,
                    json_ld=json_for_script(data), noindex=page.draft)
