"""Series: posts sharing a ``series:`` name, listed in order on each of them."""
import logging
import math

from ..content.post_list import derived
from .store import site_tz, visible_posts

logger = logging.getLogger(__name__)


def init_app(app):
    """Give templates ``series_posts(post)``."""
    app.add_template_global(series_posts)


def series_key(name):
    """Series names match ignoring case and spacing."""
    return " ".join(str(name).lower().split()) if name else ""


def series_of(post, posts, tz):
    """The posts of ``post``'s series among ``posts``, in reading order.

    Ordered by ``series_part``, then by date (unnumbered parts after
    numbered ones). Empty when the post is in no series.
    """
    key = series_key(post.series)
    if not key:
        return []
    members = derived(posts, ("series", str(tz)), lambda: _all_series(posts, tz)).get(key, [])
    if post not in members:
        members = _in_order(members + [post], tz)
    return members


def _all_series(posts, tz):
    groups = {}
    for post in posts:
        key = series_key(post.series)
        if key:
            groups.setdefault(key, []).append(post)
    return {key: _in_order(members, tz) for key, members in groups.items()}


def _in_order(members, tz):
    return sorted(members, key=lambda p: (p.series_part or math.inf, p.published_at(tz), p.slug))


def series_posts(post):
    """The visible posts of ``post``'s series, or [] when it has no others to show."""
    members = series_of(post, visible_posts(), site_tz())
    return members if len(members) > 1 else []
