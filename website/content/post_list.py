"""A list of posts that never changes once made, and what is derived from it, kept.

Tag indexes, related posts, series and archive groups look at every post.
The collection hands out one :class:`PostList` per version of the posts
folder (and per set of visible posts), so each of these is worked out once
per change of the folder instead of once per page view.
"""
import threading


class PostList(list):
    """Posts, newest first. Treat it as read-only: derived values are kept on it."""

    def __init__(self, posts=()):
        super().__init__(posts)
        self._derived = {}
        self._lock = threading.Lock()

    def derived(self, key, compute):
        """``compute()``, worked out on the first call for ``key`` and kept."""
        try:
            return self._derived[key]
        except KeyError:
            pass
        value = compute()
        with self._lock:
            return self._derived.setdefault(key, value)

    def index(self, post, *bounds):
        """Position of ``post`` (by identity of its slug), in constant time."""
        if bounds:
            return super().index(post, *bounds)
        positions = self.derived("positions", lambda: {p.slug: i for i, p in enumerate(self)})
        at = positions.get(getattr(post, "slug", None))
        if at is None or self[at] is not post:
            return super().index(post)
        return at

    def __reduce__(self):
        return (PostList, (list(self),))


def derived(posts, key, compute):
    """``compute()`` kept on ``posts`` when it is a :class:`PostList`, else worked out now."""
    if isinstance(posts, PostList):
        return posts.derived(key, compute)
    return compute()
