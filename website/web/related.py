"""Related posts: those sharing the most tags with a post, shown at its end.

Posts of the same series are left out: the series box already lists them.
"""
import logging

from flask import current_app

from .series import series_key
from .store import site_tz, visible_posts

logger = logging.getLogger(__name__)


def init_app(app):
    """Give templates ``related_posts(post)``."""
    app.add_template_global(related_posts)


def related_to(post, posts, tz, limit=3):
    """Up to ``limit`` of ``posts`` sharing tags with ``post``.

    Most shared tags first; ties go to the newer post. The post itself and
    its series siblings are left out, and so are posts with no tag in common.
    """
    tags = post.tag_slugs
    series = series_key(post.series)
    scored = []
    for other in posts:
        if other.slug == post.slug or not tags & other.tag_slugs:
            continue
        if series and series_key(other.series) == series:
            continue
        shared = len(tags & other.tag_slugs)
        if shared:
            scored.append((shared, other.published_at(tz), other.slug, other))
    scored.sort(key=lambda item: item[:3], reverse=True)
    return [item[3] for item in scored[:max(0, limit)]]


def related_posts(post):
    """Related posts among those this request may show (``RELATED_POSTS`` at most)."""
    return related_to(post, visible_posts(), site_tz(), int(current_app.config["RELATED_POSTS"]))
