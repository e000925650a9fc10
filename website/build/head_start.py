"""Render post bodies on an idle core while the build plans.

Until the workers are forked, the build works in one process: it reads
the posts, fingerprints every page, compiles the templates, and so on. A
machine with more cores than one leaves the others idle meanwhile, so one
forked process renders the posts' Markdown into the render cache
(:mod:`..content.render_cache`), where the workers find it. It is stopped
(and waited for) before the workers are forked, so no body is rendered
twice; what it did not reach, the workers render as before.

When the build has no copy of the posts as last read (its first build into
a folder: every file is read, over a second at 10,000 posts), the process is
forked before that read and reads the files itself, one by one, rendering
each as it goes (:func:`start_reading`), unless the folder has fewer than
:data:`FEW` files. Otherwise it is forked once the posts are known, with
only the bodies the cache lacks (:func:`start`), even one: the first body a
process renders costs 40 to 90 ms of setting up (the Markdown converter,
and Pygments' lexers for the languages it meets), the fork 5 to 10 ms. So a
rebuild after one edit renders that post's body beside the planning.
"""
import gc
import multiprocessing
import os

from ..content import rendering

# Bodies rendered between two writes to the cache (what a stop may lose, at most).
BATCH = 8
# A first build of a folder with fewer files than this forks no process: the
# build reaches its pages before the process is set up to render them, then
# waits for it (the 5 sample posts: 0.76-0.85 s with one, 0.72-0.73 s without).
FEW = 16


class HeadStart:
    """A process rendering ``posts``' bodies into ``cache`` until :meth:`stop`."""

    def __init__(self, cache, posts=None, reading=None):
        """:param posts: the posts, known; else ``reading``, the collection
        whose files the process reads itself."""
        self._stop = None
        self._process = None
        if reading is None:
            # Worked out here, not in the process: a rebuild whose bodies
            # are all cached (a template or a header edited) forks nothing.
            posts = _not_cached(cache, posts)
            if not posts:
                return
        if "fork" not in multiprocessing.get_all_start_methods():
            return
        context = multiprocessing.get_context("fork")
        self._stop = context.Event()
        self._process = context.Process(target=_render_until_stopped,
                                        args=(cache, posts, reading, self._stop, os.getpid()),
                                        name="head-start", daemon=True)
        # The child never frees what the parent holds: keep its collector off it.
        gc.freeze()
        try:
            self._process.start()
        finally:
            gc.unfreeze()

    @property
    def running(self):
        """True until :meth:`stop` (False if nothing was worth a process)."""
        return self._process is not None

    def stop(self):
        """Stop the process and wait for it (it writes what it rendered first)."""
        if self._process is None:
            return
        self._stop.set()
        self._process.join(timeout=60)
        if self._process.is_alive():    # stuck on one body: what it wrote is kept
            self._process.kill()
            self._process.join()
        self._process = None


def start(cache, posts, jobs):
    """A :class:`HeadStart` on ``posts`` if there is a spare core and a cache, else None."""
    if cache is None or jobs < 2:
        return None
    return HeadStart(cache, posts)


def start_reading(cache, collection, jobs):
    """A :class:`HeadStart` that reads ``collection``'s files itself, if there is
    a spare core and a cache, else None. Forked before the collection is
    first read, and before any other thread is started."""
    if cache is None or jobs < 2 or collection.has_fewer_files_than(FEW):
        return None
    return HeadStart(cache, reading=collection)


def _not_cached(cache, posts):
    """The posts whose body the cache lacks: the oldest first (the workers start with
    the newest, as the sitemap lists them)."""
    kept = cache.keys()
    return [post for post in reversed(posts) if cache.key(post.body) not in kept]


def _render_until_stopped(cache, posts, reading, stop, parent):
    try:
        os.nice(5)      # the parent's planning comes first, if a core is short
    except OSError:
        pass
    if reading is not None:
        kept = cache.keys()
        posts = (post for post in reading.read_afresh()
                 if not post.draft and cache.key(post.body) not in kept)
    done = 0
    for post in posts:
        # Stopped, or the build is gone (killed): it would hold the build's
        # lock, inherited, until every body is rendered.
        if stop.is_set() or os.getppid() != parent:
            break
        try:
            cache.put(post.body, rendering.render(post.body))
        except Exception:  # noqa: BLE001 - the worker rendering its page reports it
            continue
        done += 1
        if done % BATCH == 0:
            cache.flush()
    cache.flush()
    cache.close()
