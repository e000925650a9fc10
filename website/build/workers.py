"""Render pages and write the changed ones, spread over worker processes.

The parent reads the posts and plans the build, then forks the workers: each
starts with the app, the posts and what is derived from them already in
memory, asks the app for its share of the URLs and writes the answers into
the new build folder itself. A page whose bytes equal the last build's is
hard-linked from there instead, so it keeps its mtime.
"""
import gc
import hashlib
import multiprocessing
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..content import render_cache
from ..web import post_cards
from . import search
from .fetch import fetch

# What the workers need, set by the parent before they are forked.
_job = None
# Less work than this (the pages' cost, in tenths of a millisecond: about
# 0.15 s) is quicker done here than forked for: the workers start after the
# parent warms up (_warm, 0.04 s at 1,000 posts), and on a rebuild Pagefind
# has the other core.
SMALL_JOB = 1500
# A page costing more than this (5 ms) is a batch of its own.
BIG_PAGE = 50


@dataclass
class Job:
    """One build's shared state: the app, the pages, and where files go and come from."""

    app: object
    pages: list
    folder: Path                 # the new build folder
    previous: Path = None        # the live build folder, if any
    manifest: dict = None        # what the last build recorded about ``previous``


@dataclass
class Result:
    """What became of one page: ``written``, ``unchanged`` or ``failed`` (with a message)."""

    file: str
    outcome: str
    sha: str = ""
    message: str = ""
    facts: dict = None     # on a post's page: what listings will show of it (see KEPT)
    card: str = None       # on a post's page: its card in a listing (Markup)


# What a post's own page works out that listings and feeds show again: kept
# from the first round of workers (post pages) for the second (listings).
KEPT = ("summary", "reading_minutes", "tag_slugs")


def carry_over(job, page):
    """Link ``page``'s file from the previous build, unchanged; its Result."""
    entry = job.manifest[page.file]
    link_or_copy(job.previous / page.file, job.folder / page.file)
    return Result(page.file, "unchanged", entry["sha"])


def link_or_copy(source, target):
    """A hard link, else a copy with the same mtime."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def produce(job, page):
    """Ask the app for ``page`` and write it unless the last build has the same bytes."""
    try:
        if page.static_search:
            body = search.render_page(job.app)
        else:
            answer = fetch(job.app, page.url)
            body = answer.body
    except Exception as exc:   # noqa: BLE001 (reported with the URL, the build goes on)
        return Result(page.file, "failed", message=f"{page.url}: {type(exc).__name__}: {exc}")
    if not page.static_search and answer.status != page.status:
        where = f" to {answer.location}" if answer.location else ""
        return Result(page.file, "failed",
                      message=f"{page.url}: the app answered {answer.status}{where}")
    sha = hashlib.sha256(body).hexdigest()
    target = job.folder / page.file
    old = job.previous / page.file if job.previous is not None else None
    if old is not None and same_as_before(old, (job.manifest or {}).get(page.file), sha, body):
        link_or_copy(old, target)
        return Result(page.file, "unchanged", sha)
    with open(target, "wb") as handle:
        handle.write(body)
    return Result(page.file, "written", sha)


def same_as_before(old, entry, sha, data):
    """True if the last build's file ``old`` holds ``data``: by its manifest ``entry``
    (``sha`` is that of ``data``), or with no entry, by its bytes."""
    try:
        if entry is not None:
            return entry.get("sha") == sha and old.is_file()
        return old.stat().st_size == len(data) and old.read_bytes() == data
    except OSError:
        return False


def _run_batch(indexes):
    results = []
    for i in indexes:
        page = _job.pages[i]
        result = produce(_job, page)
        if page.post:
            post = _job.app.extensions["posts"].get(page.post)
            if post is not None:
                result.facts = {key: post.__dict__[key] for key in KEPT if key in post.__dict__}
                if result.outcome != "failed":
                    result.card = _card(post)
        results.append(result)
    cache = render_cache._active
    if cache is not None:
        cache.flush()
    return results


def _card(post):
    """The post's card for the listings (rendered here, where its summary is known)."""
    try:
        return post_cards.card(_job.app, post)
    except Exception:  # noqa: BLE001 - a listing renders it, and reports what fails, itself
        return None


def absorb(app, pages, results):
    """Give the parent's posts what the workers worked out on their pages (before the next fork).

    :return: ``{post digest: facts}`` of the posts that got something.
    """
    by_file = {page.file: page for page in pages}
    posts = app.extensions["posts"]
    absorbed = {}
    for result in results:
        page = by_file.get(result.file)
        post = posts.get(page.post) if page is not None and page.post and result.facts else None
        if post is not None:
            post.__dict__.update(result.facts)
            absorbed[post.digest] = result.facts
            if result.card is not None:
                post_cards.keep(app, post, result.card)
    return absorbed


def recall(app, cache):
    """Give the parent's posts the facts a previous build kept for them."""
    posts = [post for post in app.extensions["posts"].all() if post.digest]
    found = cache.get_facts(post.digest for post in posts)
    for post in posts:
        facts = found.get(post.digest)
        if facts:
            for key, value in facts.items():
                post.__dict__.setdefault(key, value)


def forks(job, indexes, jobs, batches=None):
    """True if :func:`run` would spread these pages over worker processes."""
    if batches is None:
        batches = _batches(job, indexes, jobs)
    return (jobs > 1 and sum(job.pages[i].cost for i in indexes) >= SMALL_JOB
            and len(batches) > 1 and "fork" in multiprocessing.get_all_start_methods())


def run(job, indexes, jobs, on_result, started=None):
    """Produce ``job.pages[i]`` for each of ``indexes`` on ``jobs`` processes.

    :param on_result: called in this process with each :class:`Result`.
    :param started: called once the workers are forked (or at once, without
        workers): where to start threads, which a fork must not copy.
    """
    global _job
    _job = job
    batches = _batches(job, indexes, jobs)
    try:
        if not forks(job, indexes, jobs, batches):
            if started is not None:
                started()
            for batch in batches:
                for result in _run_batch(batch):
                    on_result(result)
            return
        context = multiprocessing.get_context("fork")
        # What the parent holds (every post) is never garbage: keep the
        # workers' collector from walking it, and its pages from being copied.
        gc.freeze()
        try:
            with context.Pool(min(jobs, len(batches))) as pool:
                if started is not None:
                    started()
                for results in pool.imap_unordered(_run_batch, batches):
                    for result in results:
                        on_result(result)
        finally:
            gc.unfreeze()
    finally:
        _job = None


def _batches(job, indexes, jobs):
    """Biggest pages first, then small batches, so the workers finish together."""
    ordered = sorted(indexes, key=lambda i: -job.pages[i].cost)
    big = [[i] for i in ordered if job.pages[i].cost > BIG_PAGE]
    small = [i for i in ordered if job.pages[i].cost <= BIG_PAGE]
    size = max(1, min(32, len(small) // (jobs * 8) or 1))
    return big + [small[at:at + size] for at in range(0, len(small), size)]
