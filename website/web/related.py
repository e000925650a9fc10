"""Related posts: those sharing the most tags with a post, shown at its end.

Posts of the same series are left out: the series box already lists them.
"""
import heapq
import logging

from flask import current_app

from ..content.collection import tag_index
from ..content.post_list import PostList
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
    On a :class:`PostList` (newest first) the answer is kept, and found
    without looking at every post.
    """
    if isinstance(posts, PostList):
        return posts.derived(("related", post.slug, id(post), limit),
                             lambda: _related_in_order(post, posts, limit))
    return _related_anywhere(post, posts, tz, limit)


def _is_candidate(post, other, series):
    if other.slug == post.slug:
        return False
    return not (series and series_key(other.series) == series)


def _related_anywhere(post, posts, tz, limit):
    tags = post.tag_slugs
    series = series_key(post.series)
    scored = []
    for other in posts:
        shared = len(tags & other.tag_slugs)
        if shared and _is_candidate(post, other, series):
            scored.append((shared, other.published_at(tz), other.slug, other))
    scored.sort(key=lambda item: item[:3], reverse=True)
    return [item[3] for item in scored[:max(0, limit)]]


def _related_in_order(post, posts, limit):
    """The same answer for ``posts`` sorted newest first, walking only the post's tag lists.

    The lists are merged newest first; an unseen post can share at most as
    many tags as there are lists not yet walked to their end, so the walk
    stops once ``limit`` posts at least that good are found.
    """
    if limit <= 0:
        return []
    index = tag_index(posts)
    lists = [index[slug][1] for slug in sorted(post.tag_slugs) if slug in index]
    tags, series = post.tag_slugs, series_key(post.series)
    heap = [(posts.index(tagged[0]), n, 0) for n, tagged in enumerate(lists)]
    heapq.heapify(heap)
    best, seen, open_lists = [], set(), len(lists)
    while heap:
        rank, n, at = heapq.heappop(heap)
        if at + 1 < len(lists[n]):
            heapq.heappush(heap, (posts.index(lists[n][at + 1]), n, at + 1))
        else:
            open_lists -= 1
        other = lists[n][at]
        if rank in seen:
            continue
        seen.add(rank)
        if _is_candidate(post, other, series):
            best.append((-len(tags & other.tag_slugs), rank, other))
            best = sorted(best)[:limit]
        if len(best) == limit and -best[-1][0] >= open_lists:
            break
    return [item[2] for item in best]


def related_posts(post):
    """Related posts among those this request may show (``RELATED_POSTS`` at most)."""
    return related_to(post, visible_posts(), site_tz(), int(current_app.config["RELATED_POSTS"]))
