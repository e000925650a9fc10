"""The blog: a Flask app that serves Markdown posts with front matter."""
import logging
from pathlib import Path

import click
from flask import Flask

from . import site_settings
from .tools import cli
from .web import archive, assets, error_pages, feeds, images, livereload, page_meta, pages
from .web import post_cards, related, search, series, sitemap, store, template_helpers
from .web import validators, views


logger = logging.getLogger(__name__)


def create_app(test_config=None, instance_path=None, settings_file=None):
    """Build the app.

    Settings come from ``website/config.py`` (the defaults), then the
    owner's ``site.yaml`` at the top of the project (``settings_file``
    chooses another), then ``instance/config.py`` (``instance_path`` chooses
    another instance folder), then ``FLASK_*`` environment variables, then
    ``test_config``; each overrides the ones before.

    :raise site_settings.SettingsError: a bad key or value in the owner's file.
    """
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    app.config.from_object("website.config")
    settings_file = settings_file or Path(app.root_path).parent / site_settings.FILE_NAME
    app.config.update(site_settings.load(settings_file))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if test_config:
        app.config.update(test_config)
    app.config["SITE_URL"] = str(app.config["SITE_URL"]).rstrip("/")
    _setup_logging(app)
    _warn_private_site_url(app)

    store.init_app(app)
    template_helpers.init_app(app)
    assets.init_app(app)
    views.init_app(app)
    error_pages.init_app(app)
    validators.init_app(app)
    for extra in (feeds, sitemap, archive, series, related, page_meta, search, livereload,
                  pages, images, post_cards):
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


def _warn_private_site_url(app):
    # Feeds, the sitemap and canonical links would send readers to this machine.
    # Only where pages are served: `flask check` reports it itself, and other
    # commands (new-post) print nothing but their result.
    command = click.get_current_context(silent=True)
    if app.debug or (command is not None and command.info_name != "run"):
        return
    problem = site_settings.private_address(app.config["SITE_URL"])
    if problem:
        logger.error("SITE_URL %s is not a public address (%s): feeds, the sitemap and "
                     "canonical links will point there. Set site_url in site.yaml, or run "
                     "setup.sh --domain on the server.", app.config["SITE_URL"], problem)
