"""Command-line tools: ``flask --app website check`` and ``new-post``."""
import dataclasses
import datetime as dt
import logging
import os

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from . import checks, new_post
from ..site_settings import private_address
from ..web.pages import collection as page_collection, reserved_prefixes
from ..web.store import collection, site_tz

# Endpoints whose URLs name a post, a tag or a static file.
_ROUTE_KINDS = {"blog.post": ("post", "slug"), "blog.tag": ("tag", "tag"),
                "feeds.tag_feed": ("tag", "tag"), "static": ("static", "filename"),
                "pages.page": ("page", "slug")}


def init_app(app):
    """Register the commands (``build`` and ``preview`` come from the build layer)."""
    from ..build import command as build_command
    app.cli.add_command(check)
    app.cli.add_command(new_post_command)
    app.cli.add_command(new_page_command)
    build_command.init_app(app)


def shown_path(path):
    """``path`` relative to the working folder when it is inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def route_resolver(app):
    """A ``path -> (kind, value) or None`` function from the app's URL rules."""
    adapter = app.url_map.bind("localhost")

    def resolve(path):
        try:
            endpoint, values = adapter.match(path, method="GET")
        except RequestRedirect:
            return "other", None
        except HTTPException:
            return None
        kind, key = _ROUTE_KINDS.get(endpoint, ("other", None))
        return kind, values.get(key) if key else None
    return resolve


@click.command()
@with_appcontext
def check():
    """Validate the settings and every post; print path:line: error|warning: message for each problem.

    Findings and the summary go to standard output. Exits 1 when there is
    any error, 0 otherwise (warnings allowed).
    """
    posts, pages = collection(), page_collection()
    posts.refresh(force=True, log=False)   # each problem is printed below instead
    pages.refresh(force=True, log=False)
    render_log = logging.getLogger("website.content.post")
    render_log.disabled = True             # so are bodies that can't be rendered
    try:
        problems = _problems(posts, pages)
    finally:
        render_log.disabled = False
    problems = settings_problems(current_app.config) + problems
    for problem in problems:
        click.echo(str(dataclasses.replace(problem, path=shown_path(problem.path))))
    files = {str(p.path) for p in posts.all()} | {e.path for e in posts.errors}
    page_files = {str(p.path) for p in pages.all()} | {e.path for e in pages.errors}
    where = str(shown_path(posts.folder))
    if page_files:
        where += f" and {shown_path(pages.folder)}"
    click.echo(f"{checks.summary(problems, len(files), len(page_files))} in {where}")
    if any(p.level == checks.ERROR for p in problems):
        raise SystemExit(1)


def settings_problems(config):
    """Settings the live site can't work with: a ``SITE_URL`` on a private address."""
    reason = private_address(config["SITE_URL"])
    if reason is None:
        return []
    return [checks.Problem("SITE_URL", None, f"{config['SITE_URL']} is not a public address "
                           f"({reason}): feeds, the sitemap and canonical links would point "
                           "there. Set site_url in site.yaml, or run setup.sh --domain on the server.")]


def _problems(posts, pages):
    """Every problem of the posts and pages (refreshed collections), sorted."""
    site = checks.Site(
        posts.all(), dt.datetime.now(site_tz()), current_app.static_folder,
        current_app.config["SITE_URL"], route_resolver(current_app),
        frozenset(os.path.splitext(os.path.basename(e.path))[0] for e in posts.errors),
        pages.all(), frozenset(reserved_prefixes(current_app)),
        int(current_app.config["IMAGE_SIZE_WARNING"]),
    )
    problems = [checks.from_post_error(error) for error in posts.errors + pages.errors]
    problems += checks.check_posts(site)
    problems.sort(key=lambda p: (p.path, p.line or 0))
    return problems


@click.command("new-post")
@click.argument("title")
@click.option("--tags", default="", metavar="A,B", help="Comma-separated tags.")
@click.option("--draft", is_flag=True, help="Mark it a draft: shown only on the dev server.")
@click.option("--slug", default=None, help="Its address and file name (default: from the title).")
@with_appcontext
def new_post_command(title, tags, draft, slug):
    """Start a post titled TITLE dated today; print the new file's path.

    Never overwrites: an existing file or slug is an error (exit 1).
    """
    posts = collection()
    posts.refresh(force=True, log=False)   # a bad post elsewhere is check's business
    today = dt.datetime.now(site_tz()).date()
    taken = {post.slug: post.path.name for post in posts.all()}
    try:
        path = new_post.create(current_app.config["POSTS_DIR"], title, today,
                               new_post.parse_tags(tags), draft, slug, taken)
    except new_post.PostExists as exc:
        raise click.ClickException(f"{exc}. Choose another title or --slug.") from None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(shown_path(path))


@click.command("new-page")
@click.argument("title")
@click.option("--nav/--no-nav", default=True, show_default=True,
              help="Link it from the header navigation (label: the title), after the others.")
@click.option("--slug", default=None, help="Its address and file name (default: from the title); "
              "a/b makes pages/a/b.md at /a/b.")
@with_appcontext
def new_page_command(title, nav, slug):
    """Start a standalone page titled TITLE; print the new file's path.

    Never overwrites: an existing file, or an address a route of the site
    owns (blog, static, feed.xml...), is an error (exit 1).
    """
    pages = page_collection()
    pages.refresh(force=True, log=False)
    taken = {page.slug: page.path.name for page in pages.all()}
    order = max((page.nav_order for page in pages.all() if page.nav), default=0) + 1
    try:
        path = new_post.create_page(current_app.config["PAGES_DIR"], title,
                                    order if nav else None, slug, taken,
                                    reserved_prefixes(current_app))
    except new_post.PostExists as exc:
        raise click.ClickException(f"{exc}. Choose another title or --slug.") from None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(shown_path(path))
