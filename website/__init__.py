"""The blog: a Flask app that serves Markdown posts with front matter."""
import logging

from flask import Flask

from .tools import cli
from .web import archive, assets, error_pages, feeds, livereload, page_meta, related
from .web import search, series, sitemap, store, template_helpers, views


def create_app(test_config=None, instance_path=None):
    """Build the app.

    Settings come from ``website/config.py``, then ``instance/config.py``
    (``instance_path`` chooses another instance folder), then ``FLASK_*``
    environment variables, then ``test_config``.
    """
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    app.config.from_object("website.config")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if test_config:
        app.config.update(test_config)
    _setup_logging(app)

    store.init_app(app)
    template_helpers.init_app(app)
    assets.init_app(app)
    views.init_app(app)
    error_pages.init_app(app)
    for extra in (feeds, sitemap, archive, series, related, page_meta, search, livereload):
        extra.init_app(app)
    cli.init_app(app)
    return app


def _setup_logging(app):
    # Post errors are logged by the website.* loggers; show them under any server.
    logger = logging.getLogger(__name__)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
