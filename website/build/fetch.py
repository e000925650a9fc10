"""Ask the app for one URL, as a browser would, and get the exact bytes it answers."""
import io
import sys
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes, urlsplit


@dataclass
class Answer:
    """What the app answered: status code, content type and body."""

    status: int
    content_type: str
    body: bytes
    location: str = ""


def base_url(app):
    """Where every page is asked for: ``SITE_URL``'s scheme and host (the paths
    asked for are the site's own, from ``/``)."""
    site = urlsplit(app.config["SITE_URL"])
    return f"{site.scheme or 'http'}://{site.netloc or 'localhost'}"


def fetch(app, url):
    """The app's :class:`Answer` to ``GET url`` (a path with an optional query), at
    :func:`base_url`."""
    parts = urlsplit(url)
    site = urlsplit(base_url(app))
    https = site.scheme == "https"
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        # WSGI carries the path percent-decoded, as bytes in a latin-1 string.
        "PATH_INFO": unquote_to_bytes(parts.path).decode("latin-1"),
        "QUERY_STRING": parts.query,
        "SERVER_NAME": site.hostname,
        "SERVER_PORT": str(site.port or (443 if https else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": site.netloc,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": site.scheme,
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = int(status.split(" ", 1)[0])
        answer["headers"] = dict((name.lower(), value) for name, value in headers)

    chunks = app.wsgi_app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    headers = answer["headers"]
    return Answer(answer["status"], headers.get("content-type", ""), body,
                  headers.get("location", ""))
