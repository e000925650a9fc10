"""Filters and globals the templates use."""
import datetime as dt
from functools import lru_cache

from flask import request
from markupsafe import Markup

from ..content.post import tag_slug
from ..content.rendering import render
from .store import broken_posts, now


def init_app(app):
    """Register the filters and context."""
    app.add_template_filter(tag_slug)
    app.add_template_filter(human_date)
    app.add_template_filter(iso_date)
    app.add_template_filter(markdown_filter, "markdown")
    app.add_template_global(current_nav)
    app.add_template_global(is_scheduled)
    app.add_template_global(broken_posts)
    app.context_processor(lambda: {"current_year": dt.date.today().year})


def human_date(value):
    """``14 July 2018``."""
    return f"{value.day} {value:%B %Y}" if value else ""


def iso_date(value):
    """``2018-07-14`` for dates at midnight, else the full ISO datetime."""
    if not value:
        return ""
    if isinstance(value, dt.datetime) and (value.time() != dt.time() or value.tzinfo):
        return value.isoformat()
    return f"{value:%Y-%m-%d}"


@lru_cache(maxsize=16)
def markdown_filter(text):
    """Render a short Markdown text from the settings (the home page intro), once per text."""
    return Markup(render(text or "").html)


def current_nav():
    """The header link this page belongs to: the longest that contains it."""
    from .pages import nav_links   # the pages module registers after this one
    path = request.path
    matches = [href for _, href in nav_links()
               if href == path or (href != "/" and path.startswith(href.rstrip("/") + "/"))]
    return max(matches, key=len, default=None)


def is_scheduled(post):
    """True for a post that isn't a draft and whose date hasn't come (shown only in preview)."""
    return not post.draft and not post.is_public(now())
