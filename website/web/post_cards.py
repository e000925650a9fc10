"""A post's card (its entry in a listing: title, date, summary, tags), kept while a build runs.

A post is listed on several pages: a page of /blog and a page of each of
its tags. The live app renders each card where it is shown. A static build
turns keeping on (:func:`keeping`): each post's card is then rendered once
per process and heading level, and every listing reuses those bytes. The
build works them out with the post's own page (:func:`card`), so the
listings' workers start with them.
"""
from contextlib import contextmanager

from flask import current_app

TEMPLATE = "partials/post_list.html"
KEPT = "post_cards"      # app.extensions[KEPT]: {(digest, slug, level): Markup}, in a build


def init_app(app):
    """Give templates ``kept_card(macro, post, heading_level)``."""
    app.add_template_global(kept_card)


def kept_card(macro, post, heading_level):
    """``macro(post, heading_level)``: the card, rendered once per build when keeping."""
    kept = current_app.extensions.get(KEPT)
    if kept is None:
        return macro(post, heading_level)
    key = _key(post, heading_level)
    found = kept.get(key)
    if found is None:
        found = kept[key] = macro(post, heading_level)
    return found


def card(app, post, heading_level=2):
    """The card of ``post`` as listings show it, kept (in a request context of ``app``).

    None when cards are not being kept.
    """
    if app.extensions.get(KEPT) is None:
        return None
    macro = app.jinja_env.get_template(TEMPLATE).module.post_card
    return kept_card(macro, post, heading_level)


def keep(app, post, html, heading_level=2):
    """Keep ``html`` (Markup) as the card of ``post``, if cards are being kept."""
    kept = app.extensions.get(KEPT)
    if kept is not None:
        kept[_key(post, heading_level)] = html


def _key(post, heading_level):
    # A card shows the post alone (its file's name and bytes: the digest), and
    # a build renders every page at one moment, with one set of templates.
    return post.digest, post.slug, heading_level


@contextmanager
def keeping(app):
    """Keep cards while the block runs (a static build: one moment, no drafts)."""
    app.extensions[KEPT] = {}
    try:
        yield app.extensions[KEPT]
    finally:
        app.extensions.pop(KEPT, None)
