"""Serve a built site locally with its real URLs, the way static hosts map them.

``/x`` is ``x`` if that file exists, else ``x.html``, else ``x/index.html``;
anything else is ``404.html`` with status 404. Directory listings are never
shown. Every answer has the site's security headers (:mod:`.headers`), its
strict CSP included, so a page that would break under it breaks here too.
For trying a build on your own machine only: not a production server.
"""
import functools
import http.server
import mimetypes
import os
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .headers import security_headers
from .layout import NOT_FOUND_FILE

TYPES = {".xml": "application/xml; charset=utf-8", ".html": "text/html; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".txt": "text/plain; charset=utf-8", ".svg": "image/svg+xml"}


def resolve(root, url):
    """The file under ``root`` that answers ``url``, or None (``root`` is resolved)."""
    path = unquote(urlsplit(url).path)
    parts = [part for part in path.split("/") if part]
    if any(part in (".", "..") or "\0" in part for part in parts):
        return None
    base = root.joinpath(*parts) if parts else root
    candidates = [base / "index.html"] if path.endswith("/") or not parts else \
        [base, base.with_name(base.name + ".html"), base / "index.html"]
    for candidate in candidates:
        if candidate.is_file():
            real = candidate.resolve()
            if real == root or root in real.parents:
                return real
    return None


class PreviewHandler(http.server.SimpleHTTPRequestHandler):
    """GET and HEAD on the built files, with the static hosts' URL mapping."""

    def __init__(self, *args, root, **kwargs):
        self.root = root
        super().__init__(*args, directory=str(root), **kwargs)

    def send_head(self):
        found = resolve(self.root, self.path)
        status = 200
        if found is None:
            status, found = 404, self.root / NOT_FOUND_FILE
            if not found.is_file():
                self.send_error(404)
                return None
        try:
            handle = open(found, "rb")
        except OSError:
            self.send_error(404)
            return None
        size = os.fstat(handle.fileno()).st_size
        self.send_response(status)
        self.send_header("Content-Type", self.content_type(found))
        self.send_header("Content-Length", str(size))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        return handle

    def end_headers(self):
        for name, value in security_headers(urlsplit(self.path).path):
            self.send_header(name, value)
        super().end_headers()

    @staticmethod
    def content_type(path):
        """The type a static host would send for ``path``."""
        suffix = posixpath.splitext(path.name)[1].lower()
        return TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        super().log_message(format, *args)


def make_server(folder, host="127.0.0.1", port=8000):
    """A threading HTTP server for the build in ``folder`` (not started)."""
    root = Path(folder).resolve()
    handler = functools.partial(PreviewHandler, root=root)
    return http.server.ThreadingHTTPServer((host, port), handler)


def serve(folder, host="127.0.0.1", port=8000):
    """Serve ``folder`` until interrupted."""
    server = make_server(folder, host, port)
    print(f"Serving {folder} at http://{host}:{server.server_address[1]}/ (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
