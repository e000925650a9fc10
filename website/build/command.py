"""``flask --app website build`` and ``flask --app website preview``.

The app registers these commands at every start, under Apache too: the
builder and the preview server are imported when one of them runs.
"""
import atexit
import gc
import os
import sys
import time
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext

from ..tools.cli import shown_path


LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


def init_app(app):
    """Register the commands."""
    app.cli.add_command(build_command)
    app.cli.add_command(preview_command)


class Progress:
    """``pages done of total`` on one terminal line, a few times a second."""

    def __init__(self, stream):
        self.stream = stream
        self.shown_at = 0.0

    def __call__(self, done, total):
        now = time.monotonic()
        if done == total or now - self.shown_at > 0.1:
            self.shown_at = now
            self.stream.write(f"\r{done}/{total} pages")
            self.stream.flush()

    def clear(self):
        if self.shown_at:
            self.stream.write("\r\033[K")
            self.stream.flush()


@click.command("build")
@click.option("--out", default="build", show_default=True, type=click.Path(file_okay=False),
              help="Folder (a link to the latest complete build) to write the site to.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes. Default: one per core.")
@click.option("--strict", is_flag=True, help="Fail on any error (a bad post, a page that fails).")
@click.option("--full", is_flag=True, help="Render every page again, not only what changed.")
@with_appcontext
def build_command(out, jobs, strict, full):
    """Write every public page of the site as static files into OUT.

    Only files whose bytes changed are rewritten; the new output replaces the
    old one in one step. Bad posts are skipped and printed (errors fail the
    build with --strict).
    """
    app = current_app._get_current_object()
    site = app.config["SITE_URL"]
    if urlsplit(site).hostname in LOCAL_HOSTS:
        click.echo(f"warning: SITE_URL is {site}: feeds, the sitemap and canonical links will "
                   "point there; set SITE_URL to the address the site is served at", err=True)
    progress = Progress(sys.stderr) if sys.stderr.isatty() else None
    _quick_exit()
    from .builder import BuildError, build
    try:
        report = build(app, out, jobs=jobs, strict=strict, full=full, progress=progress)
    except BuildError as exc:
        if progress:
            progress.clear()
        _print_errors(exc.post_errors, exc.page_errors)
        raise click.ClickException(f"build stopped, {shown_path(os.path.abspath(out))} "
                                   f"left as it was: {exc}") from None
    if progress:
        progress.clear()
    _print_errors(report.post_errors, report.page_errors)
    for message in report.warnings:
        click.echo(f"warning: {message}", err=True)
    click.echo(f"{report.summary()} -> {out}")


def _quick_exit():
    """Spare the process the garbage collector's last pass over every object at exit.

    Python looks for reference cycles once more as it exits: over every post,
    page and template still in memory, a tenth of a second of a rebuild that
    changes a few pages. Frozen objects are left out of that pass: cycles
    among them are not freed one by one but go back to the system with the
    process (the build's files are all written and closed by then).
    Registered once, however many builds a process runs.
    """
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def _print_errors(post_errors, page_errors):
    """Bad posts as ``check`` prints them, then pages the app failed to answer."""
    for error in sorted(post_errors, key=lambda e: (e.path, e.line or 0)):
        where = shown_path(error.path) + (f":{error.line}" if error.line else "")
        field = f"{error.field}: " if error.field else ""
        click.echo(f"{where}: error: {field}{error.message} (skipped)", err=True)
    for message in page_errors:
        click.echo(f"error: {message} (its last built version is kept, if any)", err=True)


@click.command("preview")
@click.option("--out", default="build", show_default=True,
              type=click.Path(file_okay=False, exists=True), help="The built site to serve.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def preview_command(out, host, port):
    """Serve the built site in OUT with its real URLs, as a static host would."""
    from .preview import serve
    serve(out, host, port)
