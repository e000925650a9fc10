"""The browser setup shared by the browser tests and ``make screenshots``:
the blog on the sample posts, served by a real WSGI server on a free port,
and how Debian's chromium is started.
"""
import os
import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

from website import create_app

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_POSTS = ROOT / "posts"
HOST = "127.0.0.1"

CHROMIUM = os.environ.get("WEBSITE_CHROMIUM", "/usr/bin/chromium")
# The flags every chromium here runs with, Lighthouse's included.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


@contextmanager
def serve_sample_site(workdir, **settings):
    """Serve a copy of posts/ (made in ``workdir``); yield the base URL.

    The server runs in a thread with the app built by the factory, exactly as
    in production apart from the posts folder, the site's address and any
    other ``settings`` (``DEBUG=True`` for the dev server's behaviour).
    """
    posts = Path(workdir) / "posts"
    shutil.copytree(SAMPLE_POSTS, posts)
    with serve_site(posts, **settings) as url:
        yield url


@contextmanager
def serve_site(posts, static=None, headers=(), **settings):
    """Serve the posts in ``posts``; yield the base URL.

    :param static: another static folder (a copy of static/ with more files).
    :param headers: ``(name, value)`` pairs added to every response, as
        Apache adds them (the Content-Security-Policy).
    """
    # Port 0: the OS picks a free one; the site's own URLs must use it.
    server = make_server(HOST, 0, _LateApp(), threaded=True, request_handler=_QuietHandler)
    base_url = f"http://{HOST}:{server.server_port}"
    app = create_app({"POSTS_DIR": str(posts), "SITE_URL": base_url, **settings})
    if static is not None:
        app.static_folder = str(static)
    server.app.app = _with_headers(app, list(headers)) if headers else app
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _with_headers(app, headers):
    def wrapped(environ, start_response):
        def start(status, response_headers, exc_info=None):
            return start_response(status, list(response_headers) + headers, exc_info)
        return app(environ, start)
    return wrapped


def apache_csp():
    """The Content-Security-Policy Apache sends (deploy/apache/website-vhost.conf.in)."""
    conf = (ROOT / "deploy" / "apache" / "website-vhost.conf.in").read_text()
    return re.search(r'Header always set Content-Security-Policy "([^"]+)"', conf).group(1)


class _LateApp:
    """A WSGI app set once the server's port, and so the site URL, is known.

    Each answer is read whole and its iterable closed here, before Werkzeug
    writes it: when a browser drops a connection (a page closed while its
    favicon loads), Werkzeug's dev server can raise before it closes the
    iterable, leaving a static file open until garbage collection (a
    ResourceWarning, which the suite turns into an error).
    """

    app = None

    def __call__(self, environ, start_response):
        iterable = self.app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()


class _QuietHandler(WSGIRequestHandler):
    """No access log: the tests check every response themselves."""

    def log_request(self, code="-", size="-"):
        pass
