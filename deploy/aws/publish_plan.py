"""What deploy/aws/publish.sh must upload, delete and invalidate: the build against the bucket.

Reads the build folder and the bucket's listing (``aws s3api list-objects-v2
--query 'Contents[].[Key,ETag]' --output json``) and prints the plan, one
tab-separated line per step, in the order publish.sh runs them:

    upload <TAB> content type <TAB> cache control <TAB> pattern <TAB> pattern...
    delete <TAB> pattern...
    invalidate <TAB> path...

Patterns are keys escaped for the AWS CLI's --include filter; paths are URL
paths for a CloudFront invalidation. A file is uploaded when its MD5 differs
from the object's ETag (SSE-S3 ETags are MD5s; multipart ones are rebuilt the
way the AWS CLI splits a file). Standard library only: it runs before, and
without, the project's virtualenv.

Usage: python3 publish_plan.py BUILD_DIR LISTING_JSON [--max-paths N] [--pending FILE]
  --pending FILE  paths an earlier publish uploaded for but did not get to
                  invalidate (one per line): invalidated this time too
"""
import hashlib
import json
import mimetypes
import os
import re
import sys
from pathlib import Path
from urllib.parse import quote, unquote

# Browsers recheck pages and feeds after five minutes; CloudFront keeps them
# a day, since publish.sh invalidates every page it changes.
PAGE_CACHE = "public, max-age=300, s-maxage=86400, must-revalidate"
# Linked with ?v=<content hash>: a new version is a new URL.
VERSIONED_CACHE = "public, max-age=31536000, immutable"
# Static files linked without a version (images in posts): as Apache does.
STATIC_CACHE = "public, max-age=3600"

TYPES = {
    ".html": "text/html", ".css": "text/css", ".js": "text/javascript",
    ".xml": "application/xml", ".txt": "text/plain", ".svg": "image/svg+xml",
    ".json": "application/json", ".webmanifest": "application/manifest+json",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/vnd.microsoft.icon",
    ".woff": "font/woff", ".woff2": "font/woff2", ".pdf": "application/pdf",
}
FEED_TYPE = "application/atom+xml"
# The static search's index (Pagefind), in one part or several (pagefind/part-N/):
# in each, the file that names all its others.
SEARCH_INDEX = "pagefind/"
SEARCH_INDEX_ENTRY = "pagefind-entry.json"
# The AWS CLI's defaults: files from 8 MiB up go in 8 MiB parts.
MULTIPART_THRESHOLD = MULTIPART_CHUNK = 8 * 1024 * 1024
# Kept as they are in invalidation paths, as browsers send them: letters,
# digits, "-_.~" and these; CloudFront wants the rest (spaces, quotes,
# non-ASCII letters) percent-encoded. "*" is encoded: it would be a wildcard.
PATH_SAFE = "/!'()$+,;=:@&"
VERSIONED_LINK = re.compile(r"(?:https?://[^/\s\"'<>]+)?(/[^\"'()\s?#<>]*)\?v=\w")
SCANNED_FOR_LINKS = (".html", ".css", ".xml")
UNSAFE_NAME = re.compile(r"[\t\n\r]")


class PlanError(Exception):
    """The build or the listing can't be published as they are."""


def local_files(build):
    """``{key: path}`` for every file of the build.

    All of them: the build writes nothing but the site (its cache lives beside
    it), and a tag such as ".net" makes a page whose name starts with a dot.
    """
    files = {}
    for directory, subdirs, names in os.walk(build):
        subdirs.sort()
        for name in sorted(names):
            path = Path(directory, name)
            key = path.relative_to(build).as_posix()
            if UNSAFE_NAME.search(key):
                raise PlanError(f"{path}: a tab or line break in a file name can't be published")
            files[key] = path
    return files


def remote_etags(listing_text):
    """``{key: etag}`` from the listing's JSON (``null`` for an empty bucket)."""
    rows = json.loads(listing_text or "null") or []
    return {key: etag.strip('"') for key, etag in rows}


def etag_of(path, remote=None):
    """The ETag S3 gives ``path`` once the AWS CLI uploads it (in parts if ``remote`` was)."""
    size = path.stat().st_size
    multipart = size >= MULTIPART_THRESHOLD or (remote is not None and "-" in remote)
    with open(path, "rb") as handle:
        if not multipart:
            return hashlib.md5(handle.read(), usedforsecurity=False).hexdigest()
        parts = [hashlib.md5(chunk, usedforsecurity=False).digest()
                 for chunk in iter(lambda: handle.read(MULTIPART_CHUNK), b"")]
    return f"{hashlib.md5(b''.join(parts), usedforsecurity=False).hexdigest()}-{len(parts)}"


def versioned_keys(files):
    """Keys the built pages, stylesheets and feeds link to with ``?v=``."""
    keys = set()
    for key, path in files.items():
        if key.endswith(SCANNED_FOR_LINKS):
            text = path.read_text(encoding="utf-8", errors="replace")
            keys.update(unquote(m.group(1)).lstrip("/") for m in VERSIONED_LINK.finditer(text))
    return keys & set(files)


def content_type(key):
    """The Content-Type the app itself sends for ``key`` (charset as Werkzeug adds it)."""
    name = key.rsplit("/", 1)[-1]
    suffix = os.path.splitext(name)[1].lower()
    kind = FEED_TYPE if name == "feed.xml" else TYPES.get(suffix)
    kind = kind or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind.endswith("+xml") or kind in (
            "application/xml", "application/javascript"):
        kind += "; charset=utf-8"
    return kind


def cache_control(key, versioned):
    """Cache-Control for ``key``: pages and feeds short, versioned assets a year."""
    # Resized images are named by a hash of their content (static/_variants/).
    if key in versioned or key.startswith("static/_variants/"):
        return VERSIONED_CACHE
    if key.startswith("static/"):
        return STATIC_CACHE
    return PAGE_CACHE


def upload_rank(key, versioned):
    """Assets before the pages that link to them; pages last, the home page at the very end.

    Each part of the search index has an entry file that names its other
    files: it goes after them.
    """
    if key in versioned or key.startswith("static/"):
        return 0
    if key.startswith(SEARCH_INDEX) and key.endswith("/" + SEARCH_INDEX_ENTRY):
        return 2
    if not key.endswith(".html"):
        return 1
    return 4 if key == "index.html" else 3


def include_pattern(key):
    """``key`` as an AWS CLI --include pattern that matches that key alone."""
    return re.sub(r"([][*?])", r"[\1]", key)


def url_path(text):
    return quote(text, safe=PATH_SAFE)


def invalidation_paths(key):
    """Every cache key CloudFront may hold ``key`` under: as requested, and as rewritten."""
    paths = {url_path("/" + key), url_path("/" + key).replace("+", "%2B")}
    if key.endswith(".html") and key != "404.html" and not key.endswith("/index.html"):
        page = "/" if key == "index.html" else "/" + key[:-len(".html")]
        paths.add(url_path(page))
    return paths


def plan(build, listing_text, max_paths, pending=()):
    """The steps, as lists of fields, and a one-line summary.

    :param pending: paths left to invalidate by an earlier, unfinished publish.
    """
    files = local_files(build)
    remote = remote_etags(listing_text)
    versioned = versioned_keys(files)
    new = [key for key in files if key not in remote]
    changed = [key for key in files
               if key in remote and etag_of(files[key], remote[key]) != remote[key]]
    gone = sorted(key for key in remote if key not in files)
    groups = {}
    for key in sorted(new + changed, key=lambda k: (upload_rank(k, versioned), k)):
        group = (upload_rank(key, versioned), content_type(key), cache_control(key, versioned))
        groups.setdefault(group, []).append(include_pattern(key))
    steps = [["upload", kind, cache, *patterns]
             for (_, kind, cache), patterns in sorted(groups.items())]
    if gone:
        steps.append(["delete", *map(include_pattern, gone)])
    paths = sorted(set(pending).union(*map(invalidation_paths, changed + gone)))
    note = f" ({len(set(pending))} left from an unfinished publish)" if pending else ""
    if len(paths) > max_paths:
        note += f" (more than --max-paths {max_paths}: one /* instead)"
        paths = ["/*"]
    if paths:
        steps.append(["invalidate", *paths])
    summary = (f"{len(new)} new, {len(changed)} changed, "
               f"{len(files) - len(new) - len(changed)} unchanged, {len(gone)} to delete, "
               f"{len(paths)} paths to invalidate{note}")
    return steps, summary


def option(args, name, default):
    """Take ``name VALUE`` out of ``args``; the value, or ``default``."""
    if name not in args:
        return default
    at = args.index(name)
    value = args[at + 1]
    del args[at:at + 2]
    return value


def main(argv):
    args = list(argv)
    max_paths = int(option(args, "--max-paths", 200))
    pending_file = option(args, "--pending", None)
    pending = []
    if pending_file and Path(pending_file).exists():
        pending = [line for line in Path(pending_file).read_text().splitlines() if line]
    if len(args) != 2:
        print(__doc__.strip().rsplit("\n", 1)[-1], file=sys.stderr)
        return 2
    build, listing = Path(args[0]), Path(args[1])
    if not build.is_dir():
        print(f"publish: error: no build folder {build}", file=sys.stderr)
        return 1
    try:
        steps, summary = plan(build.resolve(), listing.read_text(encoding="utf-8"), max_paths,
                              pending)
    except (PlanError, ValueError) as error:
        print(f"publish: error: {error}", file=sys.stderr)
        return 1
    for step in steps:
        print("\t".join(step))
    print(f"publish: {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
