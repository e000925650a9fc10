"""What the outside world sees: published posts only, and absolute URLs from SITE_URL.

Feeds, the sitemap and the head tags of every page use these, so a URL is
spelled the same way everywhere and drafts never leak, even on the dev server.
"""
from flask import current_app, has_request_context, request, url_for

from .store import collection, now


def public_posts():
    """Published posts (no drafts, nothing scheduled), newest first, whatever the mode."""
    return collection().visible(now(), preview=False)


def site_url():
    """``SITE_URL`` without a trailing slash."""
    return current_app.config["SITE_URL"].rstrip("/")


def external_url(endpoint, **values):
    """``SITE_URL`` + the path of ``endpoint``: ``https://example.com/blog/a-post``."""
    path = url_for(endpoint, **values)
    root = request.script_root if has_request_context() else ""
    if root and path.startswith(root):
        path = path[len(root):]
    return site_url() + path
