"""Related posts: those sharing the most tags with a post, shown at its end.

Posts of the same series are left out: the series box already lists them.
"""
import heapq
import logging
from itertools import combinations

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
                             lambda: _related_on_list(post, posts, tz, limit))
    return _related_anywhere(post, posts, tz, limit)


def _related_on_list(post, posts, tz, limit):
    """:func:`related_to` on a :class:`PostList`. Posts outside a series with the
    same tags have the same related posts but for themselves: the answer for
    their tags (one more, with no post left out) is worked out once for all."""
    if series_key(post.series) or limit <= 0:
        return _related_in_order(post, posts, tz, limit)
    ranked = posts.derived(("related to tags", frozenset(post.tag_slugs), limit), lambda: (
        _related_in_order(_TagsOnly(post.tag_slugs), posts, tz, limit + 1)))
    return [other for other in ranked if other.slug != post.slug][:limit]


class _TagsOnly:
    """A post that is only its tags: no series, and no post of a list is it."""

    series = None
    slug = object()

    def __init__(self, tag_slugs):
        self.tag_slugs = tag_slugs


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


# Posts with more tags than this are scored against every post sharing one.
MAX_LEVEL_TAGS = 8
# Up to this many posts sharing a pair of tags, they are simply all scored
# (past that, walking the lists newest first is quicker: see below).
FEW = 16
# Lists of posts having a set of tags are kept when made from a longer one.
KEEP_FROM = 64


def _related_in_order(post, posts, tz, limit):
    """The same answer for ``posts`` sorted newest first, without looking at every post.

    Posts sharing two tags or more are few in most blogs: they are the
    (kept) lists of posts having each pair of the post's tags, and are
    scored one by one. Where those lists are long (a tag on every post),
    posts sharing exactly ``n`` tags are found newest first by merging the
    lists of posts having each ``n``-subset of the tags, from ``n`` = all of
    them down, stopping once ``limit`` are found. Either way, posts sharing
    one tag come last, newest first, from the merged lists of each tag.
    """
    index = tag_index(posts)
    tags = tuple(sorted(slug for slug in post.tag_slugs if slug in index))
    if limit <= 0 or not tags:
        return []
    if len(tags) > MAX_LEVEL_TAGS:
        union = {id(p): p for slug in tags for p in index[slug][1]}
        return _related_anywhere(post, union.values(), tz, limit)
    series = series_key(post.series)
    local = {}
    pairs = [_having(posts, pair, local) for pair in combinations(tags, 2)]
    if sum(map(len, pairs)) <= FEW:
        sharing = {id(p): p for pair in pairs for p in pair}.values()
        scored = sorted((-len(post.tag_slugs & other.tag_slugs), posts.index(other), other)
                        for other in sharing if _is_candidate(post, other, series))
        chosen = [item[2] for item in scored[:limit]]
        alive = {1: [(tag,) for tag in tags]}      # only posts sharing one tag are left
    else:
        chosen, alive = [], _shared_subsets(post, posts, tags, local)
    for level in range(max(alive), 0, -1):
        if len(chosen) >= limit:
            break
        _walk_level(post, posts, alive[level], level, series, chosen, limit, local)
    return chosen


def _shared_subsets(post, posts, tags, local):
    """``{size: [subsets of tags that some other post has all of]}``, from size 1 up.

    A set can only be shared if each of its subsets one smaller is, so the
    sets of each size are only looked at when the smaller ones allow.
    """
    def shared(subset):
        found = _having(posts, subset, local)
        return len(found) > 1 or (found and found[0] is not post)
    alive = {1: [(tag,) for tag in tags if shared((tag,))]}
    size = 1
    while alive[size] and size < len(tags):
        smaller = set(alive[size])
        alive[size + 1] = [
            subset for subset in combinations(tags, size + 1)
            if all(subset[:at] + subset[at + 1:] in smaller for at in range(size + 1))
            and shared(subset)]
        size += 1
    return {size: subsets for size, subsets in alive.items() if subsets} or {1: []}


def _walk_level(post, posts, subsets, level, series, chosen, limit, local):
    """Add to ``chosen``, newest first, posts sharing exactly ``level`` tags, up to ``limit``."""
    seen = set()
    lists = [_having(posts, subset, local) for subset in subsets]
    for other in heapq.merge(*lists, key=posts.index):
        if id(other) in seen:
            continue
        seen.add(id(other))
        # Posts sharing more were all taken at their own level.
        if len(post.tag_slugs & other.tag_slugs) == level and _is_candidate(post, other, series):
            chosen.append(other)
            if len(chosen) == limit:
                return


def _having(posts, tags, local):
    """The posts (newest first) having every one of ``tags`` (a sorted tuple).

    Single tags and pairs come from indexes kept on ``posts``; a longer set
    is filtered from its shortest sub-list, and kept on ``posts`` only when
    that took long (sets of popular tags, shared by many posts), else kept in
    ``local`` for this one post, so the kept lists stay few.
    """
    if len(tags) == 1:
        return tag_index(posts)[tags[0]][1]
    if len(tags) == 2:
        return posts.derived("tag_pairs", lambda: _pair_index(posts)).get(tags, [])
    if tags in local:
        return local[tags]
    narrower = min((_having(posts, tags[:at] + tags[at + 1:], local) for at in range(len(tags))),
                   key=len)
    wanted = set(tags)

    def build():
        return [post for post in narrower if wanted <= post.tag_slugs]
    found = posts.derived(("having", tags), build) if len(narrower) > KEEP_FROM else build()
    local[tags] = found
    return found


def _pair_index(posts):
    """``{(tag, tag): [posts having both, newest first]}``, in one pass over ``posts``."""
    pairs = {}
    for post in posts:
        for pair in combinations(sorted(post.tag_slugs), 2):
            pairs.setdefault(pair, []).append(post)
    return pairs


def related_posts(post):
    """Related posts among those this request may show (``RELATED_POSTS`` at most)."""
    return related_to(post, visible_posts(), site_tz(), int(current_app.config["RELATED_POSTS"]))
