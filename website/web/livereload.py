"""Live reload on the dev server: a page reloads when a post, template or static file changes.

``static/js/livereload.js`` (included by ``base.html`` only in debug) asks
``/__livereload?token=T``. The answer is a token made from the modification
times of ``POSTS_DIR``, ``templates/`` and ``static/``; when the files haven't
changed since ``T``, the request waits up to ``LIVERELOAD_WAIT`` seconds for a
change before answering (a bounded long poll: one request at a time per tab,
never a thread held for good). Outside debug mode the endpoint is a 404.
"""
import hashlib
import logging
import os
import time
import uuid

from flask import Blueprint, abort, current_app, jsonify, request

logger = logging.getLogger(__name__)

ENDPOINT_PATH = "/__livereload"
POLL_STEP = 0.25          # seconds between looks while a request waits
# Changes in the server's own code restart the dev server: a new boot id then
# changes the token, and open pages reload too.
_BOOT_ID = uuid.uuid4().hex[:8]

bp = Blueprint("livereload", __name__)


def init_app(app):
    """Serve the endpoint, and keep its requests out of the dev server's log."""
    app.register_blueprint(bp)
    app.add_template_global(livereload_token)
    werkzeug_logger = logging.getLogger("werkzeug")
    if _quiet_polls not in werkzeug_logger.filters:   # once, however many apps are built
        werkzeug_logger.addFilter(_quiet_polls)


def _quiet_polls(record):
    return ENDPOINT_PATH not in record.getMessage()


def _ignored(name):
    # Editor swap, backup and lock files change while typing; saving is what counts.
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".tmp"))


def watched_folders(app):
    """The folders whose changes reload the page: posts, templates, static."""
    templates = os.path.join(app.root_path, app.template_folder or "templates")
    folders = [app.config["POSTS_DIR"], templates, app.static_folder]
    return [os.path.abspath(folder) for folder in folders if folder]


def change_token(folders):
    """A short token that changes whenever a file under ``folders`` is added, edited or removed."""
    digest = hashlib.sha1(_BOOT_ID.encode())
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not _ignored(d))
            for name in sorted(files):
                if _ignored(name):
                    continue
                path = os.path.join(root, name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                digest.update(f"{path}\0{info.st_mtime_ns}\0{info.st_size}\n".encode())
    return digest.hexdigest()[:16]


def livereload_token():
    """The current change token (for the script tag, so no change is missed)."""
    return change_token(watched_folders(current_app))


@bp.get(ENDPOINT_PATH)
def poll():
    """``{"token": ...}`` now if it differs from ``?token=``, else when it changes or the wait ends.

    :raise 404: not in debug mode.
    """
    if not current_app.debug:
        abort(404)
    folders = watched_folders(current_app)
    known = request.args.get("token", "")
    deadline = time.monotonic() + float(current_app.config["LIVERELOAD_WAIT"])
    token = change_token(folders)
    while token == known and time.monotonic() < deadline:
        time.sleep(POLL_STEP)
        token = change_token(folders)
    response = jsonify(token=token)
    response.cache_control.no_store = True
    return response
