"""Pelican 4.12 as the peer of ``make bench-build``: the same posts, the same kind of site.

Pelican lives in a virtualenv of its own (``.venv-pelican/``, made on first
use from PyPI, with the Markdown release this project pins), never in our
requirements. Its settings ask for what our build writes: the blog index
paginated by 10, a page per post and per tag, the archive, an Atom feed of
the latest 20 posts and one per tag, Markdown with code highlighting, tables,
footnotes and a table of contents. Its extra outputs that we have no
equivalent of (author pages, category and author feeds) are switched off, and
so is its content cache, so every run is a full build. Its category pages stay:
the default theme links every article to its category and fails without one
(all posts fall in one category, ``misc``, paginated like the blog index).
"""
import hashlib
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-pelican"
PELICAN = "pelican[markdown]==4.12.0"

SETTINGS = '''\
AUTHOR = "Bench"
SITENAME = "Bench"
SITEURL = "https://bench.example"
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 10
ARTICLE_URL = "blog/{slug}"
ARTICLE_SAVE_AS = "blog/{slug}.html"
TAG_URL = "blog/tag/{slug}"
TAG_SAVE_AS = "blog/tag/{slug}.html"
ARCHIVES_SAVE_AS = "blog/archive.html"
INDEX_SAVE_AS = "blog.html"
CATEGORIES_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feed.xml"
TAG_FEED_ATOM = "blog/tag/{slug}/feed.xml"
CATEGORY_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
FEED_MAX_ITEMS = 20
RSS_FEED_SUMMARY_ONLY = False
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False
DELETE_OUTPUT_DIRECTORY = True
MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.codehilite": {"css_class": "highlight", "guess_lang": False},
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        "markdown.extensions.toc": {"permalink": "#"},
    },
    "output_format": "html5",
}
'''


def ensure_venv():
    """The Pelican virtualenv, made (or remade when this file's pins change) on demand."""
    our_markdown = next(line for line in (ROOT / "requirements.txt").read_text().splitlines()
                        if line.lower().startswith("markdown=="))
    wanted = hashlib.sha256(f"{PELICAN} {our_markdown}".encode()).hexdigest()
    stamp = VENV / ".bench-stamp"
    if stamp.exists() and stamp.read_text() == wanted:
        return VENV
    shutil.rmtree(VENV, ignore_errors=True)
    print(f"installing {PELICAN} with {our_markdown} into {VENV.name}/ ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                    PELICAN, our_markdown], check=True)
    stamp.write_text(wanted)
    return VENV


def write_site(folder, posts):
    """A Pelican project in ``folder`` holding ``posts``: ``[(slug, title, date, tags, body)]``."""
    folder = Path(folder)
    content = folder / "content"
    content.mkdir(parents=True)
    (folder / "pelicanconf.py").write_text(SETTINGS)
    for slug, title, date, tags, body in posts:
        (content / f"{slug}.md").write_text(
            f"Title: {title}\nDate: {date:%Y-%m-%d %H:%M}\nTags: {', '.join(tags)}\n"
            f"Slug: {slug}\n\n{body}")
    return folder


def command(output="output"):
    """The command line of one full Pelican build, run in the project's folder."""
    return [str(VENV / "bin" / "pelican"), "content", "-s", "pelicanconf.py",
            "-o", output, "--quiet"]


def command_with_search(pagefind, output="output"):
    """One full Pelican build, then the same search as ours: the same Pagefind
    (the binary ``pagefind``) over its posts' pages, in memory (tmpfs) as
    ours runs it when there is room. Pelican's own search plugin needs
    Stork, which is unmaintained and not on PyPI."""
    build = " ".join(shlex.quote(part) for part in command(output))
    index = (f"scratch=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d) && "
             f"{shlex.quote(pagefind)} --site {shlex.quote(output)} --glob 'blog/*.html' "
             f"--output-path \"$scratch\" --quiet && cp -r \"$scratch\" "
             f"{shlex.quote(output)}/pagefind && rm -rf \"$scratch\"")
    return ["sh", "-c", f"{build} && {index}"]


def output_count(folder, output="output"):
    """How many files a build wrote (a sanity check that it built the whole site)."""
    return sum(1 for path in (Path(folder) / output).rglob("*") if path.is_file())
