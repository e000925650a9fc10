"""Stylesheets: versioned URLs for files in static/, and the generated code CSS."""
import hashlib
import os
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, request, url_for

from ..content.rendering import pygments_css

bp = Blueprint("assets", __name__)


def init_app(app):
    """Serve the code stylesheet and give templates :func:`asset_url`."""
    app.register_blueprint(bp)
    app.add_template_global(asset_url)
    app.add_template_global(code_css_url)


def asset_url(filename):
    """URL of ``static/<filename>`` with a content hash, so it can be cached for a year."""
    path = os.path.join(current_app.static_folder, filename)
    try:
        version = _file_hash(path, os.stat(path).st_mtime_ns)
    except OSError:
        version = None
    return url_for("static", filename=filename, v=version)


@lru_cache(maxsize=64)
def _file_hash(path, mtime_ns):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


@lru_cache(maxsize=8)
def _code_css(light, dark):
    css = pygments_css(light, dark)
    return css, hashlib.sha256(css.encode()).hexdigest()[:10]


def _current_code_css():
    return _code_css(current_app.config["PYGMENTS_STYLE_LIGHT"],
                     current_app.config["PYGMENTS_STYLE_DARK"])


def code_css_url():
    """URL of the code stylesheet, versioned by its content."""
    return url_for("assets.code_css", v=_current_code_css()[1])


@bp.get("/code.css")
def code_css():
    """Pygments colours for code blocks, light and dark, made from Pygments styles."""
    css, version = _current_code_css()
    response = Response(css, mimetype="text/css")
    response.set_etag(version)
    if request.args.get("v") == version:
        response.cache_control.public = True
        response.cache_control.max_age = 31536000
        response.cache_control.immutable = True
    return response.make_conditional(request)
