"""A standalone page (About, Projects, CV): a post without a date, at its own URL.

``pages/about.md`` is ``/about``, ``pages/projects/foo.md`` is
``/projects/foo`` and ``pages/projects/index.md`` is ``/projects``. Pages
read, render and fail like posts; only their fields and addresses differ.
"""
import datetime as dt
from pathlib import Path

from . import metadata
from .errors import FieldError
from .post import Post

INDEX_NAME = "index"


def page_slug(path, root):
    """The URL path (no leading slash) of the page file ``path`` under ``root``."""
    relative = Path(path).relative_to(root).with_suffix("")
    parts = list(relative.parts)
    if len(parts) > 1 and parts[-1] == INDEX_NAME:
        parts.pop()
    return "/".join(parts)


class Page(Post):
    """One Markdown file of the pages folder. Build with :meth:`from_file`.

    :param root: the pages folder (the URL is the path below it).
    :param template_exists: ``name -> bool``; a ``template`` field naming
        none is an error of the page (file, line, field).
    """

    FIELDS = metadata.PAGE_PROCESSORS
    REQUIRED = metadata.PAGE_REQUIRED

    def __init__(self, path, meta, body, body_line=1, mtime_ns=0, digest="", root=None,
                 template_exists=None):
        super().__init__(path, meta, body, body_line, mtime_ns, digest)
        self.slug = page_slug(self.path, root) if root is not None else self.path.stem

    @classmethod
    def validate(cls, meta, path, lines, root=None, template_exists=None):
        """A ``template`` must exist."""
        name = meta.get("template")
        if name and template_exists is not None and not template_exists(name):
            raise FieldError(path, f"there is no template '{name}' in templates/",
                             line=lines.get("template"), field="template")

    def __repr__(self):
        return f"<Page /{self.slug}>"

    @property
    def url_path(self):
        """Its address: ``/about``, ``/projects/foo``."""
        return "/" + self.slug

    @property
    def date(self):
        """When it last changed (pages have no publication date): ``updated``, else its mtime."""
        updated = self.meta.get("updated")
        if updated is not None:
            return updated
        return dt.datetime.fromtimestamp(self.mtime_ns / 1e9, dt.timezone.utc)

    @property
    def nav(self):
        """The label of its link in the header, or None."""
        return self.meta.get("nav") or None

    @property
    def nav_order(self):
        return self.meta.get("nav_order", 0)

    @property
    def template(self):
        return self.meta.get("template") or "page.html"

    def is_public(self, now):
        """Shown to readers: not a draft (pages are never scheduled)."""
        return not self.draft
