"""How the static search index is split into parts, so an edit re-indexes one part.

Pagefind can't update an index: any change to a post's page means indexing
again every post in that index. So a site with many posts gets an index in
parts, each made by its own Pagefind run over its own posts, and the search
page merges them in the reader's browser (Pagefind's ``mergeIndex``, which
loads no second copy of Pagefind's code). A post's part follows from its
slug alone, so an edit, a new post or a deleted one changes one part; the
number of parts grows with the posts, up to :data:`MAX_PARTS`.

The first part is the bundle at ``/pagefind/`` (Pagefind's scripts, its
WebAssembly and the first part's index); each other one is at
``/pagefind/part-N/`` and holds an index alone.
"""
import hashlib
import math

BUNDLE = "pagefind"              # the index's folder in the output: /pagefind/...
# About this many posts in each part: one Pagefind run over them takes about
# 0.15 s, which an edit's rebuild waits for. Each part costs a reader's first
# search a few small requests.
POSTS_PER_PART = 125
MAX_PARTS = 8
# What a part other than the first keeps of Pagefind's output: its index alone.
INDEX_NAMES = ("pagefind-entry.json", ".pf_meta")


def part_count(posts):
    """How many parts the index of ``posts`` posts has (1 for a small blog)."""
    return max(1, min(MAX_PARTS, math.ceil(posts / POSTS_PER_PART)))


def part_of(slug, parts):
    """The part (``0 .. parts - 1``) the post ``slug`` is indexed in."""
    return int.from_bytes(hashlib.sha256(slug.encode()).digest()[:8], "big") % parts


def split(slugs):
    """``{folder: [slugs]}``: each part's folder in the output and its posts, in order.

    Only parts with posts; the first of them is the bundle (:data:`BUNDLE`).
    """
    slugs = list(slugs)
    parts = part_count(len(slugs))
    members = {}
    for slug in slugs:
        members.setdefault(part_of(slug, parts), []).append(slug)
    return {folder(rank, part): members[part] for rank, part in enumerate(sorted(members))}


def folder(rank, part):
    """The output folder of ``part``, the ``rank``-th part that has posts."""
    return BUNDLE if rank == 0 else f"{BUNDLE}/part-{part + 1}"


def merged_urls(slugs):
    """The URLs the search page merges into the bundle's index: one per other part."""
    return [f"/{name}/" for name in split(slugs) if name != BUNDLE]


def kept(name, bundle):
    """True if Pagefind's output file ``name`` (relative) belongs in a part's folder.

    The bundle keeps everything; another part keeps its index alone (the
    scripts, styles and WebAssembly are loaded from the bundle only).
    """
    return bundle or "/" in name or name.endswith(INDEX_NAMES)


def part_of_file(name, folders):
    """The part folder (one of ``folders``) that the output file ``name`` is in, else None."""
    best = None
    for candidate in folders:
        if name.startswith(candidate + "/") and (best is None or len(candidate) > len(best)):
            best = candidate
    return best
