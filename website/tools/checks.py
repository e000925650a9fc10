"""The post checker behind ``flask --app website check``: links, images, code.

:func:`check_posts` looks at every good post (the collection already reports
files that can't be read) and returns :class:`Problem` s with file and line:
internal links and images that lead nowhere, links that will break when the
post is published (to a draft, or to a post scheduled later), a front-matter
``image`` that isn't there, and fenced code in a language Pygments doesn't
know. No Flask here: the app's routes come in as a ``resolve`` function.
"""
import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from ..content import front_matter, html_links
from ..content.page import Page
from ..content.post import tag_slug
from ..content.source_scan import Source, known_language
from .reader_checks import reader_findings, static_file_finder

logger = logging.getLogger(__name__)

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a post, where it is, and how bad (error or warning)."""

    path: str
    line: int
    message: str
    level: str = ERROR

    def __str__(self):
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.level}: {self.message}"


def from_post_error(error):
    """A collection's :class:`~website.content.errors.PostError` as a :class:`Problem`."""
    field = f"{error.field}: " if error.field else ""
    return Problem(error.path, error.line, field + error.message, ERROR)


def default_resolve(path):
    """Classify a site path without the app: ``(kind, value)``.

    Kinds: ``post`` (a slug), ``tag`` (a tag as written), ``static`` (a file
    name) and ``other`` (not checked). Returns None for nothing at all.
    """
    parts = path.split("/")
    if path.startswith("/static/"):
        return "static", path[len("/static/"):]
    if len(parts) in (4, 5) and parts[1:3] == ["blog", "tag"] and parts[3]:
        if len(parts) == 4 or parts[4] == "feed.xml":
            return "tag", parts[3]
        return None
    if len(parts) == 3 and parts[1] == "blog" and parts[2]:
        return "post", parts[2]
    return "other", None


@dataclass
class Site:
    """What a post's links can point to.

    :param posts: every good post, drafts and scheduled ones included.
    :param now: the current time (aware), deciding what is published.
    :param static_folder: where ``/static/`` files live.
    :param site_url: ``SITE_URL``; absolute links to it count as internal.
    :param resolve: ``path -> (kind, value) or None``, see :func:`default_resolve`.
    :param broken_stems: file names (no ``.md``) of posts that failed to load.
    :param pages: every good standalone page, drafts included.
    :param reserved: first path parts the site's routes own (no page may use them).
    :param image_size_warning: bytes; heavier local images the pipeline can't shrink warn.
    """

    posts: list
    now: object
    static_folder: Path
    site_url: str = ""
    resolve: object = default_resolve
    broken_stems: frozenset = frozenset()
    pages: list = field(default_factory=list)
    reserved: frozenset = frozenset()
    image_size_warning: int = 0

    def __post_init__(self):
        self.by_slug = {post.slug: post for post in self.posts}
        self.pages_by_slug = {page.slug: page for page in self.pages}
        self.static_folder = Path(self.static_folder)

    def live_at(self, post):
        """When ``post``'s links must work: when it is published, or now."""
        return max(post.published_at(self.now.tzinfo), self.now)


def check_posts(site):
    """Every :class:`Problem` in ``site.posts`` and ``site.pages``, sorted by file and line."""
    problems = []
    for post in site.posts:
        problems.extend(check_post(post, site))
    for page in site.pages:
        problems.extend(check_post(page, site))
    problems.extend(_series_clashes(site.posts))
    return sorted(problems, key=lambda p: (p.path, p.line or 0, p.message))


def check_post(post, site):
    """The problems of one post: its slug, links, images and code languages."""
    path = str(post.path)
    try:
        text = post.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(path, None, f"can't be read again: {exc}")]
    source = Source(text, post.body)
    problems = []
    error = post.render_error
    if error:
        problems.append(from_post_error(error))
    if isinstance(post, Page):
        problems.extend(_page_address_problems(post, site))
    elif site.resolve(f"/blog/{post.slug}") != ("post", post.slug):
        problems.append(Problem(path, _field_line(text, "slug"),
                                f"slug '{post.slug}': /blog/{post.slug} is another page of "
                                "the site; choose another slug"))
    if post.image:
        message = _target_problem(post, post.image, "img", site)
        if message:
            problems.append(Problem(path, _field_line(text, "image"), f"image: {message}"))
    for tag, _attr, url in html_links.urls(post.html if error is None else ""):
        message = _target_problem(post, url, tag, site)
        if message:
            line = source.line_of(url, url.replace("&", "&amp;"), unquote(url))
            problems.append(Problem(path, line, message))
    if error is None:
        findings = reader_findings(post.html, Source(text, post.body),
                                   static_file_finder(site.static_folder),
                                   site.image_size_warning)
        problems += [Problem(path, line, message, WARNING) for line, message in findings]
    for fence in source.fences:
        if fence.language and not known_language(fence.language):
            problems.append(Problem(path, fence.line, f"code language '{fence.language}' is "
                                    "unknown to Pygments; it is shown without highlighting",
                                    WARNING))
    return problems


def _page_address_problems(page, site):
    """A page whose address a route of the site answers (the route wins)."""
    first = page.slug.split("/", 1)[0]
    found = site.resolve(page.url_path)
    if first not in site.reserved and found == ("page", page.slug):
        return []
    return [Problem(str(page.path), None, f"its address {page.url_path} belongs to the site "
                    f"(/{first} is one of its routes), so the page is never shown; rename "
                    "or move the file")]


def _address(doc):
    """Where ``doc`` is served: ``/blog/<slug>`` for a post, its own path for a page."""
    return doc.url_path if isinstance(doc, Page) else f"/blog/{doc.slug}"


def _field_line(text, name):
    try:
        header = front_matter.split(text.replace("\r\n", "\n"))
    except Exception:  # noqa: BLE001 - the collection already read it once
        return None
    return header.lines.get(name) or header.lines.get(name.capitalize())


def _internal_path(url, post, site):
    """The site path ``url`` points to, or None when it leaves the site."""
    if not url or url.startswith("#"):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        base = urlsplit(site.site_url) if site.site_url else None
        if (not base or parts.scheme not in ("http", "https", "")
                or parts.netloc.lower() != base.netloc.lower()):
            return None
        prefix = base.path.rstrip("/")
        if not parts.path.startswith(prefix + "/") and parts.path != prefix:
            return None
        return unquote(parts.path[len(prefix):] or "/")
    joined = urlsplit(urljoin(_address(post), url))
    return unquote(joined.path or "/")


def _target_problem(post, url, tag, site):
    """Why ``url`` (in ``tag``) from ``post`` leads nowhere, or None if it is fine."""
    path = _internal_path(url, post, site)
    if path is None:
        return None
    what = "image" if tag in html_links.IMAGE_TAGS else "link"
    found = site.resolve(path)
    if found is None:
        return f"{what} to {url}: there is no page at {path}"
    kind, value = found
    if kind == "static":
        return _static_problem(what, url, value, site)
    if kind == "post":
        return _post_link_problem(post, url, value, site)
    if kind == "tag":
        return _tag_link_problem(post, url, value, site)
    if kind == "page":
        return _page_link_problem(post, url, value, site)
    return None


def _page_link_problem(post, url, slug, site):
    target = site.pages_by_slug.get(slug)
    if target is None or slug.split("/", 1)[0] in site.reserved:
        return f"link to {url}: there is no page at /{slug}"
    if target.draft and not post.draft and target is not post:
        return f"link to {url}: '{target.title}' is a draft ({target.path.name})"
    return None


def _static_problem(what, url, name, site):
    folder = site.static_folder.resolve()
    target = (folder / name).resolve()
    if not target.is_relative_to(folder) or not target.is_file():
        shown = f"{site.static_folder.name}/{name}"
        return f"{what} to {url}: {shown} does not exist"
    return None


def _post_link_problem(post, url, slug, site):
    target = site.by_slug.get(slug)
    if isinstance(post, Page):
        post = _NOW
    if target is None:
        hint = (f" ({slug}.md has errors, see above)" if slug in site.broken_stems
                else "")
        return f"link to {url}: there is no post with slug '{slug}'{hint}"
    if post.draft or target is post:
        return None
    if target.draft:
        return f"link to {url}: '{target.title}' is a draft ({target.path.name})"
    if target.published_at(site.now.tzinfo) > site.live_at(post):
        when = target.published_at(site.now.tzinfo)
        return (f"link to {url}: '{target.title}' is not published until "
                f"{when:%Y-%m-%d %H:%M}, after this post")
    return None


class _Now:
    """Stands for a page in the post checks: a page is live now, and never a draft's exemption."""

    draft = False

    def published_at(self, tz):
        return dt.datetime.min.replace(tzinfo=tz)


_NOW = _Now()


def _tag_link_problem(post, url, tag, site):
    if isinstance(post, Page):
        post = _NOW
    slug = tag_slug(tag)
    tagged = [p for p in site.posts if slug in {tag_slug(t) for t in p.tags}]
    if not post.draft:
        live_at = site.live_at(post)
        tagged = [p for p in tagged
                  if not p.draft and p.published_at(site.now.tzinfo) <= live_at]
    if not tagged:
        return f"link to {url}: no published post has the tag '{tag}'"
    return None


def _series_clashes(posts):
    seen, problems = {}, []
    for post in sorted(posts, key=lambda p: str(p.path)):
        if post.series and post.series_part:
            key = (" ".join(post.series.lower().split()), post.series_part)
            if key in seen:
                line = _field_line(post.path.read_text(encoding="utf-8"), "series_part")
                problems.append(Problem(str(post.path), line,
                                        f"series_part: {post.series_part} is also used by "
                                        f"{seen[key].path.name} in series '{post.series}'",
                                        WARNING))
            else:
                seen[key] = post
    return problems


def summary(problems, post_count, page_count=0):
    """One line: how many posts (and pages) were checked and what was found."""
    errors = sum(p.level == ERROR for p in problems)
    warnings = len(problems) - errors
    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    pages = f" and {plural(page_count, 'page')}" if page_count else ""
    return (f"{plural(post_count, 'post')}{pages} checked: {plural(errors, 'error')}, "
            f"{plural(warnings, 'warning')}")

