"""``url_for`` worked out once per endpoint and arguments, for the length of a build.

A page asks for 15 to 60 URLs (assets, navigation, each post and tag it
lists), the same few hundred over and over, and building one with Werkzeug's
routing costs as much as rendering a line of the page. With no URL default
callbacks registered, a URL depends only on its endpoint, its arguments and
the request's host, scheme and script root (the same for every page of a
build: ``SITE_URL``'s): the first answer is kept and given again.
"""
from contextlib import contextmanager

from flask import has_request_context, request


class MemoizedUrlFor:
    """Wraps ``app.url_for``, keeping its answers by endpoint and arguments."""

    def __init__(self, url_for):
        self.url_for = url_for
        self.urls = {}

    def __call__(self, endpoint, *, _anchor=None, _method=None, _scheme=None, _external=None,
                 **values):
        where = None
        if has_request_context():
            environ = request.environ
            where = (environ.get("HTTP_HOST"), environ["wsgi.url_scheme"],
                     environ.get("SCRIPT_NAME"))
            if endpoint[:1] == ".":     # relative to the blueprint of this request
                blueprint = request.blueprint
                endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
        options = {"_anchor": _anchor, "_method": _method, "_scheme": _scheme,
                   "_external": _external}
        try:
            key = (where, endpoint, _anchor, _method, _scheme, _external,
                   frozenset(values.items()))
            return self.urls[key]
        except TypeError:           # an argument that can't be a key (a list): not kept
            return self.url_for(endpoint, **options, **values)
        except KeyError:
            url = self.urls[key] = self.url_for(endpoint, **options, **values)
            return url


@contextmanager
def memoized_url_for(app):
    """``url_for`` in views, helpers and templates of ``app`` answers from memory.

    Not used where URL defaults or value preprocessors are registered: they
    may make a URL depend on the request.
    """
    if any(app.url_default_functions.values()) or any(app.url_value_preprocessors.values()):
        yield
        return
    memo = MemoizedUrlFor(app.url_for)
    saved = app.jinja_env.globals.get("url_for")
    app.url_for = memo                      # flask.url_for calls current_app.url_for
    app.jinja_env.globals["url_for"] = memo
    try:
        yield memo
    finally:
        del app.url_for
        if saved is None:
            app.jinja_env.globals.pop("url_for", None)
        else:
            app.jinja_env.globals["url_for"] = saved
