"""HTTP validators on every page the app answers: a strong ETag, and 304s.

The static build serves the same bytes from files, with Apache's own ETag and
Last-Modified; what the app still answers (a URL the build lacks, ``/search``,
``/blog?page=2``, or everything when there is no build) gets an ETag made
from its body, so a browser, a CDN or a feed reader can ask again cheaply.
"""
import hashlib

from flask import current_app, request

# What a browser or CDN may keep before asking again (with the validator).
PAGE_CACHE_CONTROL = "public, max-age=60, must-revalidate"
_TEXT_TYPES = ("text/html", "application/atom+xml", "application/xml", "text/plain")


def init_app(app):
    """Add the validators to the app's answers."""
    app.after_request(add_validators)
    # Named, so the static build (which keeps bodies alone) can leave it out:
    # it sets headers and turns answers into 304s, never changes a body.
    app.extensions["validators"] = add_validators


def add_validators(response):
    """A strong ETag (hash of the body) and short caching on a 200 page; a 304 when it matches."""
    if (request.method not in ("GET", "HEAD") or response.status_code != 200
            or response.is_streamed or response.direct_passthrough
            or response.mimetype not in _TEXT_TYPES):
        return response
    if not response.get_etag()[0]:
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    # The dev server keeps no cache: an edit shows on the next reload.
    if "Cache-Control" not in response.headers and not current_app.debug:
        response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
    return response.make_conditional(request)

