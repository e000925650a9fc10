"""Post and page bodies as their pages show them: local images made fast.

The rewritten body (see :mod:`website.content.images`) is kept on the post
or page, like its rendered HTML, so a view never looks at image files again;
on the dev server an edited image is picked up at the next view. Feeds keep
the plain body (``post.html``). ``flask --app website images`` makes every
variant ahead of time (setup.sh, update.sh and ``flask build`` do).
"""
import re
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from markupsafe import Markup

from ..content.images import ImagePipeline, variant_formats

# Image URLs under /static/ written in Markdown or raw HTML (the build and
# the images command make their variants before any page is rendered).
_STATIC_IMAGE = re.compile(r"""/static/[^\s"'()<>]+\.(?:png|jpe?g|webp|bmp|tiff?)\b""",
                           re.IGNORECASE)


def init_app(app):
    """Give templates :func:`body_html`; add the ``images`` command."""
    app.add_template_global(body_html)
    app.cli.add_command(images_command)


def pipeline():
    """The app's :class:`ImagePipeline` for its static folder; None with ``IMAGE_PIPELINE`` off."""
    config = current_app.config
    if not config["IMAGE_PIPELINE"]:
        return None
    found = current_app.extensions.get("images")
    if found is None or found.static_folder != Path(current_app.static_folder):
        found = ImagePipeline(current_app.static_folder, current_app.static_url_path,
                              config["IMAGE_WIDTHS"], sizes=config["IMAGE_SIZES"])
        current_app.extensions["images"] = found
    return found


def body_html(doc):
    """The HTML of ``doc`` (a post or page) for its page: images rewritten, kept while unchanged."""
    images = pipeline()
    if images is None:
        return Markup(doc.html)
    kept = doc.__dict__.get("_page_html")
    if kept is None or kept[0] is not images or (current_app.debug and _changed(kept[2])):
        html, depends = images.rewrite(doc.html)
        kept = (images, Markup(html), [(path, _stamp(path)) for path in depends])
        doc.__dict__["_page_html"] = kept
    return kept[1]


def _stamp(path):
    try:
        info = Path(path).stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _changed(depends):
    return any(_stamp(path) != stamp for path, stamp in depends)


def prepare(docs):
    """Make the variants of every local image ``docs`` name; return how many images."""
    images = pipeline()
    if images is None:
        return 0
    seen = set()
    for doc in docs:
        for url in _STATIC_IMAGE.findall(doc.body):
            path = images.local_path(url)
            if path is not None and path not in seen:
                seen.add(path)
                images.info(path)
    return len(seen)


@click.command("images")
@with_appcontext
def images_command():
    """Make the resized variants of every local image in the posts and pages.

    Variants go to static/_variants/ (safe to delete); images done before are
    skipped. Prints how many images, and in which formats.
    """
    from .pages import collection as page_collection
    from .store import collection
    if pipeline() is None:
        click.echo("IMAGE_PIPELINE is off: nothing to do")
        return
    posts, pages = collection(), page_collection()
    posts.refresh(force=True, log=False)
    pages.refresh(force=True, log=False)
    count = prepare(posts.all() + pages.all())
    formats = " and ".join(name.upper() for name in variant_formats()) or "no format"
    plural = "" if count == 1 else "s"
    click.echo(f"{count} image{plural} ready ({formats} variants in static/_variants)")
