"""404 and 500 pages in the site's layout, with their status codes."""
import logging

from flask import render_template

logger = logging.getLogger(__name__)


def init_app(app):
    """Register the error pages."""
    app.register_error_handler(404, not_found)
    app.register_error_handler(500, server_error)


def not_found(error):
    """Nothing lives at this address."""
    return render_template("404.html"), 404


def server_error(error):
    """Something broke; the traceback is already in the log."""
    return render_template("500.html"), 500
