"""A real static build for the CDN tests, and the URLs its pages and feeds link to.

The site is built by ``flask --app website build --strict`` itself, from the
sample posts, the test post with parentheses in its slug (and the post it
links to), and posts written here for the awkward cases: a dot, a plus and
non-ASCII letters in slugs and tags, names ending like files (".js") or
starting with a dot, tags with spaces, and enough posts for several pages of /blog.
"""
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
SITE_URL = "https://example.com"
POSTS_PER_PAGE = 3

EXTRA_POSTS = {
    "release-1.2.md": "title: Release 1.2\ndate: 2025-01-05\n"
                      "tags: open source, release notes\n\nA slug with a dot in it.\n",
    "leaving-node.js.md": "title: Leaving Node.js\ndate: 2025-01-08\n"
                          "tags: node.js, .net\n\nA slug and a tag that end like file names,"
                          " and a tag that starts with a dot.\n",
    "café-au-lait.md": "title: Café au lait\ndate: 2025-01-06\n"
                       "tags: café, open source\n\nA slug outside ASCII.\n",
    "c++-in-(practice).md": "title: C++ in practice\ndate: 2025-01-07\n"
                            "tags: c++, open source\n\nA plus and parentheses in the slug.\n",
}
EXTRA_POSTS.update({
    f"filler-{n:02d}.md": f"title: Filler post {n}\ndate: 2024-06-{n:02d}\n"
                          f"tags: filler posts\n\nFiller number {n}.\n"
    for n in range(1, 10)
})


def write_posts(folder):
    """The sample posts, the parentheses test post and EXTRA_POSTS, in ``folder``."""
    shutil.copytree(ROOT / "posts", folder)
    for name in ("slug-with-(parens).md", "bare_header.md"):
        shutil.copy(ROOT / "tests" / "posts" / name, folder)
    for name, text in EXTRA_POSTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def build_env(posts):
    """Environment for ``flask`` in the project: the test posts and site settings."""
    return {**os.environ, "FLASK_POSTS_DIR": str(posts), "FLASK_SITE_URL": SITE_URL,
            "FLASK_POSTS_PER_PAGE": str(POSTS_PER_PAGE)}


def flask_command():
    flask = Path(sys.executable).with_name("flask")
    return [str(flask)] if flask.exists() else [sys.executable, "-m", "flask"]


def build(posts, out):
    """Run the real build of ``posts`` into ``out``; return the folder it wrote."""
    result = subprocess.run([*flask_command(), "--app", "website", "build", "--strict",
                             "--out", str(out)], cwd=ROOT, env=build_env(posts),
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"build failed:\n{result.stdout}{result.stderr}"
    return Path(out).resolve()


def built_files(folder):
    """Every file of a build, as ``/``-separated paths relative to it."""
    return {Path(directory, name).relative_to(folder).as_posix()
            for directory, _, names in os.walk(folder) for name in names}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def browser_path(url):
    """The path and query a browser sends for a link: spaces, quotes, non-ASCII encoded."""
    parts = urlsplit(url)
    path = quote(parts.path, safe="/%!$&'()*+,;=:@-._~")
    return path + ("?" + quote(parts.query, safe="/%!$&'()*+,;=:@-._~?") if parts.query else "")


def internal(link):
    """The site-relative form of ``link``, or None for another site, a fragment, mailto:."""
    if link.startswith(SITE_URL + "/") or link == SITE_URL:
        link = link[len(SITE_URL):] or "/"
    if not link.startswith("/") or link.startswith("//"):
        return None
    return link.split("#", 1)[0]


def site_urls(folder):
    """Every internal URL the built pages, feeds, sitemap and robots.txt link to; /robots.txt."""
    links = ["/robots.txt"]
    for name in built_files(folder):
        path = folder / name
        if name.endswith(".html"):
            parser = _Links()
            parser.feed(path.read_text(encoding="utf-8"))
            links += parser.links
        elif name == "robots.txt":
            links += [line.split(":", 1)[1].strip() for line in path.read_text().splitlines()
                      if line.lower().startswith("sitemap:")]
        elif name.endswith(".xml"):
            for element in ElementTree.parse(path).iter():
                links += [element.get("href") or "", (element.text or "").strip()
                          if element.tag.endswith("}loc") else ""]
    return {browser_path(url) for url in map(internal, links) if url}


def s3_key(uri):
    """The object key S3 reads from a request path: percent-decoded, "+" as a space."""
    return unquote(uri.split("?", 1)[0].replace("+", " "))[1:]
