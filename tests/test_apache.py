"""The site behind a real Apache + mod_wsgi, configured by the project's own templates.

A temporary origin repository holds the project with known posts; the served
project is a clone of it, so deploy/update.sh pulls for real. The clone's
static build (deploy/build.sh, as the timer runs it) is what Apache answers
from; the access log's handler (%R) tells the file answers ("-") from the
app's ("wsgi-script").
"""
import gzip
import os
import pickle
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

import apache_server
from website.content.images import variant_formats
from website.content.post import Post
from apache_server import REPO, ApacheServer
from test_images import screenshot



@pytest.fixture(autouse=True, scope="module")
def _tools():
    """Apache, mod_wsgi and friends must be there: make test installs them."""
    missing = apache_server.missing_tools()
    if missing:
        pytest.fail(f"needs {', '.join(missing)}: run tests/system-deps.sh (make test does)")

POST = """\
---
title: Served by mod_wsgi
date: 2026-01-02
tags:
  - apache
  - deploy
description: A post the Apache tests look for.
---

This text is the {edition} edition of the post.
"""
OTHER_POST = """\
---
title: Another post
date: 2026-01-01
tags: [apache]
description: Keeps the tag page plural.
---

Nothing to see.
"""
IMAGE_POST = """\
---
title: A screenshot
date: 2025-12-31
---

Below, a screenshot.

![The screen](/static/img/shot.png)
"""
BROKEN_POST = "---\ntitle: [never closed\ndate: 2026-01-03\n---\n\nBroken.\n"
# Appended to website/__init__.py by the "update" commit: a visible code change,
# and an app that sends the security headers itself (Apache must not double them).
CODE_CHANGE = '''

_factory = create_app


def create_app(test_config=None):
    app = _factory(test_config)

    @app.after_request
    def _mark(response):
        response.headers["X-Deployed-Version"] = "2"
        response.headers["X-Content-Type-Options"] = "from-the-app"
        response.headers["Referrer-Policy"] = "unsafe-url"
        return response
    return app
'''
SITE_URL = f"http://{apache_server.DOMAIN}"
SECURITY_HEADERS = ["Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                    "Permissions-Policy"]


def git(cwd, *args):
    return subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
                           *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def deployment():
    """(server, origin, clone): Apache serving a clone of a temporary origin."""
    venv = apache_server.apache_venv()
    assert apache_server.python_version(venv / "bin" / "python") == apache_server.mod_wsgi_python()
    base = Path(tempfile.mkdtemp(prefix="website-apache-"))
    base.chmod(0o755)   # the daemon may run as nobody
    origin, clone = base / "origin", base / "website"
    try:
        apache_server.copy_project(origin)
        shutil.rmtree(origin / "posts", ignore_errors=True)
        (origin / "posts").mkdir()
        (origin / "posts" / "served-by-mod-wsgi.md").write_text(POST.format(edition="first"))
        (origin / "posts" / "another-post.md").write_text(OTHER_POST)
        (origin / "posts" / "notes-(part-2).md").write_text(
            "---\ntitle: Notes, part 2\ndate: 2025-12-01\n---\n\nPart two, with parentheses.\n")
        (origin / "posts" / "café-crème.md").write_text(
            "---\ntitle: Café crème\ndate: 2025-12-02\n---\n\nAccents in the address.\n")
        (origin / "static" / ".secret").write_text("dotfile\n")
        (origin / "posts" / "a-screenshot.md").write_text(IMAGE_POST)
        screenshot(origin / "static" / "img" / "shot.png")
        git(origin, "init", "--quiet", "--initial-branch=main")
        git(origin, "add", "--all")
        git(origin, "commit", "--quiet", "-m", "Initial")
        git(base, "clone", "--quiet", str(origin), str(clone))
        (clone / ".venv").symlink_to(venv)   # deploy/update.sh's default venv
        # The server's own settings, outside git, as setup.sh writes them.
        (clone / "instance").mkdir()
        (clone / "instance" / "config.py").write_text(f'SITE_URL = "{SITE_URL}"\n')
        # What setup.sh does before Apache serves the site: resized images.
        subprocess.run([str(venv / "bin" / "flask"), "--app", "website", "images"],
                       cwd=clone, check=True, capture_output=True)
        built = run_build(clone)
        assert built.returncode == 0, built.stdout + built.stderr
        # Apache makes the ETag of a file changed less than a second ago weak.
        time.sleep(1.1)
        server = ApacheServer(base / "apache", clone, venv).start()
        try:
            yield server, origin, clone
        finally:
            server.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def server(deployment):
    return deployment[0]


def run_build(clone, *args):
    """deploy/build.sh, as the timer runs it."""
    return subprocess.run([str(clone / "deploy" / "build.sh"), *args], capture_output=True, text=True)


def header_values(response, name):
    return response.msg.get_all(name) or []


# URL, text in it, the build's file for it.
BUILT = [
    ("/", "Served by mod_wsgi", "index.html"),
    ("/blog", "Another post", "blog.html"),
    ("/blog/served-by-mod-wsgi", "first edition", "blog/served-by-mod-wsgi.html"),
    ("/blog/tag/apache", "Served by mod_wsgi", "blog/tag/apache.html"),
    ("/blog/tag/apache/feed.xml", "Served by mod_wsgi", "blog/tag/apache/feed.xml"),
    ("/feed.xml", "Served by mod_wsgi", "feed.xml"),
    ("/sitemap.xml", "/blog/served-by-mod-wsgi", "sitemap.xml"),
    ("/robots.txt", "Sitemap:", "robots.txt"),
    ("/static/css/site.css", "", "static/css/site.css"),
    ("/blog/notes-(part-2)", "Part two", "blog/notes-(part-2).html"),
    ("/blog/notes-%28part-2%29", "Part two", "blog/notes-(part-2).html"),
    ("/blog/caf%C3%A9-cr%C3%A8me", "Accents in the address", "blog/café-crème.html"),
]
# Answered by the app whatever the build holds: queries, /search, 404s, the
# build's own extra names.
FALLBACK = [
    ("/blog?page=1", 200), ("/search?q=mod_wsgi", 200), ("/search", 200),
    ("/blog/no-such-post", 404), ("/no/such/page", 404), ("/404", 404), ("/blog/index", 404),
    ("/blog.html", 404), ("/blog/index.html", 404), ("/index.html", 404), ("/feed.xml.gz", 404),
    ("/blog/served-by-mod-wsgi.html", 404), ("/blog/served-by-mod-wsgi.html.gz", 404),
]


@pytest.mark.parametrize("path, text, name", BUILT)
def test_built_urls_are_answered_from_their_files(deployment, path, text, name):
    server, _, clone = deployment
    response = server.request(path)
    assert response.status == 200, response.text[:300]
    assert text in response.text
    assert response.body == (clone / "build" / name).read_bytes()
    assert server.handler_of(path) == "-"
    # The app would answer the same bytes, with the same type.
    assert response.getheader("ETag") and not response.getheader("ETag").startswith("W/")
    assert response.getheader("Last-Modified")


def test_file_answers_have_the_apps_content_types(server):
    for path, expected in [("/", "text/html; charset=utf-8"), ("/feed.xml", "application/atom+xml; charset=utf-8"),
                           ("/blog/tag/apache/feed.xml", "application/atom+xml; charset=utf-8"),
                           ("/sitemap.xml", "application/xml; charset=utf-8"),
                           ("/robots.txt", "text/plain; charset=utf-8")]:
        assert server.request(path).getheader("Content-Type") == expected, path
        assert server.request(path + "?x=1").getheader("Content-Type") == expected, path


@pytest.mark.parametrize("path, status", FALLBACK)
def test_other_urls_go_to_the_app(server, path, status):
    response = server.request(path)
    assert response.status == status, response.text[:300]
    assert response.getheader("Content-Type").startswith("text/html")
    assert "<html" in response.text
    assert server.handler_of(path) == "wsgi-script"


def test_head_requests_come_from_the_files(server):
    response = server.request("/blog/served-by-mod-wsgi", method="HEAD")
    assert response.status == 200 and response.body == b""
    assert int(response.getheader("Content-Length")) > 1000


def test_without_a_build_the_app_answers_everything(deployment):
    server, _, clone = deployment
    away = clone / "build-away"
    os.rename(clone / "build", away)
    try:
        for path, text, _ in BUILT:
            response = server.request(path)
            assert response.status == 200 and text in response.text, path
            if not path.startswith("/static/"):
                assert server.handler_of(path) == "wsgi-script", path
    finally:
        os.rename(away, clone / "build")
    assert server.request("/").status == 200 and server.handler_of("/") == "-"


@pytest.mark.parametrize("path, text, name", BUILT)
def test_precompressed_copies_with_their_encoding(deployment, path, text, name):
    server, _, clone = deployment
    plain = (clone / "build" / name).read_bytes()
    response = server.request(path, headers={"Accept-Encoding": "gzip, deflate"})
    assert response.status == 200
    if len(plain) >= 256:
        assert response.getheader("Content-Encoding") == "gzip"
        # The file's own bytes: mod_deflate did not compress them again.
        assert response.body == (clone / "build" / (name + ".gz")).read_bytes()
        assert gzip.decompress(response.body) == plain
    assert "Accept-Encoding" in response.getheader("Vary")
    assert response.getheader("Content-Type") == server.request(path).getheader("Content-Type")
    refused = server.request(path, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert refused.getheader("Content-Encoding") is None and refused.body == plain
    if len(plain) >= 256 and shutil.which("brotli"):
        brotli = server.request(path, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert brotli.getheader("Content-Encoding") == "br"
        assert brotli.body == (clone / "build" / (name + ".br")).read_bytes()
        unpacked = subprocess.run(["brotli", "--decompress", "--stdout", "-"], input=brotli.body,
                                  capture_output=True, check=True).stdout
        assert unpacked == plain
        assert "Accept-Encoding" in brotli.getheader("Vary")


@pytest.mark.parametrize("path", ["/blog/served-by-mod-wsgi", "/feed.xml", "/sitemap.xml",
                                  "/static/css/site.css", "/search?q=mod_wsgi", "/blog?page=1"])
@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_conditional_requests_answer_304_through_compression(server, path, encoding):
    headers = {"Accept-Encoding": encoding} if encoding else {}
    first = server.request(path, headers=headers)
    etag = first.getheader("ETag")
    assert first.status == 200 and etag and not etag.startswith("W/")
    if encoding:
        assert first.getheader("Content-Encoding") == "gzip"
        if "?" in path:     # a query string: the app answers
            assert server.handler_of(path) == "wsgi-script"
            # mod_deflate compressed the app's answer and marked its ETag, as
            # every Apache before 2.4.58 does (Ubuntu 22.04's 2.4.52) and later
            # ones by default (DeflateAlterETag AddSuffix): the case of bug 45023.
            assert etag.endswith('-gzip"'), etag
    again = server.request(path, headers={**headers, "If-None-Match": etag})
    assert again.status == 304, (path, etag, again.getheaders())
    assert again.body == b""
    assert again.getheader("ETag").strip('"').removesuffix("-gzip") == etag.strip('"').removesuffix("-gzip")
    # Another representation's tag, or a stale one, gets the whole answer.
    assert server.request(path, headers={**headers, "If-None-Match": '"stale"'}).status == 200
    if first.getheader("Last-Modified"):
        since = server.request(path, headers={**headers, "If-Modified-Since": first.getheader("Last-Modified")})
        assert since.status == 304


def test_pages_get_short_caching_and_versioned_assets_a_year(server):
    def cache_control(path):
        response = server.request(path)
        assert response.status == 200, path
        values = response.msg.get_all("Cache-Control")
        assert len(values) == 1, (path, values)
        return values[0], server.handler_of(path) not in (None, "wsgi-script")

    # Pages, feeds and the search index, from the build and from the app.
    for path in ["/", "/blog/served-by-mod-wsgi", "/feed.xml", "/search?q=x", "/blog?page=1",
                 "/pagefind/pagefind-ui.js"]:
        assert cache_control(path)[0] == "public, max-age=60, must-revalidate", path
    for path in ["/static/css/site.css?v=0123456789", "/code.css?v=abc"]:
        assert cache_control(path) == ("public, max-age=31536000, immutable", True), path
    # The build's copy of static/: an hour, as static/ itself.
    assert cache_control("/static/css/site.css") == ("public, max-age=3600", True)


def test_static_files_come_straight_from_apache(server):
    css = (REPO / "static" / "css" / "site.css").read_bytes()
    response = server.request("/static/css/site.css")
    assert response.status == 200
    assert response.body == css
    assert response.getheader("Content-Type").startswith("text/css")
    assert response.getheader("Cache-Control") == "public, max-age=3600"
    assert server.handler_of("/static/css/site.css") not in (None, "wsgi-script")

    versioned = server.request("/static/css/site.css?v=0123456789")
    assert versioned.status == 200
    assert "immutable" in versioned.getheader("Cache-Control")
    assert "max-age=31536000" in versioned.getheader("Cache-Control")


def test_image_variants_come_from_apache_typed_and_cached(server):
    page = server.request("/blog/a-screenshot").text
    assert "<picture>" in page
    sources = re.findall(r'<source type="(image/[a-z]+)" srcset="([^"]+)"', page)
    assert [kind for kind, _ in sources] == [f"image/{f}" for f in variant_formats()]
    for kind, srcset in sources:
        for item in srcset.split(", "):
            url = item.split()[0]
            response = server.request(url)
            assert response.status == 200, (url, server.error_logs[-2000:])
            assert response.getheader("Content-Type") == kind
            assert "immutable" in response.getheader("Cache-Control")
            assert server.handler_of(url) not in (None, "wsgi-script")
            assert response.body[:12].find(b"ftyp" if kind == "image/avif" else b"WEBP") >= 0
    original = server.request("/static/img/shot.png")
    assert original.status == 200 and original.getheader("Content-Type") == "image/png"


def test_static_folder_is_not_listed_and_hides_dotfiles(server):
    assert server.request("/static/.secret").status == 403
    listing = server.request("/static/css/")
    assert listing.status in (403, 404)
    assert "site.css" not in listing.text


def test_links_inside_static_and_the_build_are_not_followed(deployment):
    """Only the build's own link (in the project's top folder) is followed."""
    server, _origin, clone = deployment
    built = (clone / "build").resolve()
    planted = [clone / "static" / "leak.txt", built / "leak.html", built / "blog" / "leak"]
    try:
        for link in planted:
            link.symlink_to(clone / "requirements.txt")
        for url in ("/static/leak.txt", "/leak.html", "/leak", "/blog/leak"):
            response = server.request(url)
            assert response.status in (403, 404), (url, response.status)
            assert "Flask==" not in response.text, url
        assert server.request("/blog/served-by-mod-wsgi").status == 200    # through build/
    finally:
        for link in planted:
            link.unlink(missing_ok=True)


# Each file, with text from it that must never appear in an answer.
SECRETS = {
    ".git/config": "[core]",
    "website.wsgi": "create_app",
    "posts/served-by-mod-wsgi.md": "description: A post the Apache tests",
    "requirements.txt": "Flask==",
    "website/__init__.py": "def create_app",
    "website/config.py": "SITE_TITLE",
    "setup.sh": "#!/usr/bin/env bash",
    "deploy/update.sh": "#!/usr/bin/env bash",
    ".venv/pyvenv.cfg": "home =",
    ".build-cache/manifest.json": '"files"',
    "build/blog/served-by-mod-wsgi.html": "first edition",
}
URL_FORMS = [
    "/{f}", "/website/{f}", "/static/../{f}", "/static/%2e%2e/{f}", "/static/..%2f{f}",
    "/static/%2E%2E%2F{f}", "/static//../{f}", "/./{f}", "/%2e/{f}", "/static/css/../../{f}",
]


@pytest.mark.parametrize("host", [apache_server.DOMAIN, "other.test"])
@pytest.mark.parametrize("name", sorted(SECRETS))
def test_project_files_cannot_be_downloaded(server, name, host):
    for form in URL_FORMS:
        path = form.format(f=name)
        response = server.request(path, host=host)
        assert response.status in (400, 403, 404), (path, host, response.status)
        assert SECRETS[name] not in response.text, (path, host)


@pytest.mark.parametrize("path", ["/", "/blog/served-by-mod-wsgi", "/no/such/page",
                                  "/static/css/site.css", "/static/.secret", "/feed.xml",
                                  "/search?q=x", "/blog?page=1"])
@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_security_headers_once_each(server, path, encoding):
    response = server.request(path, headers={"Accept-Encoding": encoding} if encoding else {})
    for name in SECURITY_HEADERS:
        assert len(header_values(response, name)) == 1, (path, name, response.getheaders())
    csp = response.getheader("Content-Security-Policy")
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Server") == "Apache"


def test_compression(server):
    response = server.request("/", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert "Served by mod_wsgi" in gzip.decompress(response.body).decode()
    css = server.request("/static/css/site.css", headers={"Accept-Encoding": "gzip"})
    assert css.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(css.body) == (REPO / "static" / "css" / "site.css").read_bytes()


# Paths with a query, escapes, parentheses and non-ASCII: kept byte for byte.
REDIRECTED = ["/", "/blog/served-by-mod-wsgi?utm_source=x&page=2", "/blog/a%20b%3Fc?q=%C3%A9%26",
              "/blog/self-hosting-(part-1)", "/feed.xml", "/static/css/site.css?v=1",
              "/no/such/page?"]


@pytest.mark.parametrize("path", REDIRECTED)
@pytest.mark.parametrize("host", [f"www.{apache_server.DOMAIN}", f"WWW.{apache_server.DOMAIN.upper()}"])
def test_www_redirects_to_the_apex_keeping_path_and_query(server, path, host):
    response = server.request(path, host=host)
    assert response.status == 301, response.text[:300]
    assert response.getheader("Location") == f"http://{host[4:]}{path}"
    for name in SECURITY_HEADERS:
        assert len(header_values(response, name)) == 1


def test_www_redirect_keeps_the_port(server):
    response = server.request("/blog?x=1", host=f"www.{apache_server.DOMAIN}:{server.port}")
    assert response.status == 301
    assert response.getheader("Location") == f"http://{apache_server.DOMAIN}:{server.port}/blog?x=1"


def test_apex_and_other_hosts_are_not_redirected(server):
    assert server.request("/", host=apache_server.DOMAIN).status == 200
    assert server.request("/", host="203.0.113.7").status == 200
    assert server.request("/", host="wwwblog.test").status == 200


def test_acme_challenges_on_www_are_not_redirected(server):
    response = server.request("/.well-known/acme-challenge/token", host=f"www.{apache_server.DOMAIN}")
    assert response.status == 404


def test_feed_sitemap_and_canonical_links_use_the_servers_site_url(server):
    feed = server.request("/feed.xml")
    assert f'<link href="{SITE_URL}/feed.xml" rel="self"' in feed.text
    assert f"<id>{SITE_URL}/blog/served-by-mod-wsgi</id>" in feed.text
    assert f"<loc>{SITE_URL}/blog/served-by-mod-wsgi</loc>" in server.request("/sitemap.xml").text
    page = server.request("/blog/served-by-mod-wsgi").text
    assert f'<link rel="canonical" href="{SITE_URL}/blog/served-by-mod-wsgi">' in page
    assert "127.0.0.1" not in feed.text + page


def test_a_restarted_daemon_takes_the_unchanged_posts_from_its_cache(deployment):
    server, _, clone = deployment
    kept = clone / "instance" / "cache" / "posts.pickle"
    assert server.request("/blog?page=1").status == 200
    deadline = time.monotonic() + 10        # saved once the page is answered
    while not kept.is_file() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert kept.is_file(), server.error_logs[-2000:]
    info = kept.stat()
    assert pwd.getpwuid(info.st_uid).pw_name == server.user
    assert info.st_mode & 0o077 == 0
    # Change a post's title in the cache alone: a daemon that reads the cache
    # shows it, one that read the post's file would not.
    with open(kept, "rb") as handle:
        key, posts = pickle.load(handle), pickle.load(handle)
    [path] = [path for path in posts if path.endswith("notes-(part-2).md")]
    stamp, state = posts[path]
    meta_at = Post.STATE.index("meta")
    state = list(state)
    state[meta_at] = dict(state[meta_at], title="Notes, as the cache has them")
    posts[path] = (stamp, tuple(state))
    with open(kept, "wb") as handle:
        pickle.dump(key, handle)
        pickle.dump(posts, handle)
    os.chown(kept, info.st_uid, info.st_gid)
    (clone / "website.wsgi").touch()        # each daemon process restarts on its next request
    page = wait_for(server, "/blog?page=1", lambda r: "Notes, as the cache has them" in r.text)
    assert "Notes, as the cache has them" in page.text, server.error_logs[-2000:]
    assert "Notes, part 2" not in page.text
    assert "Can't keep the posts" not in server.error_logs
    # The post's file changed since: it is read again, and the cache follows.
    post = clone / "posts" / "notes-(part-2).md"
    os.utime(post, ns=(post.stat().st_atime_ns, post.stat().st_mtime_ns + 10**9))
    page = wait_for(server, "/blog?page=1", lambda r: "Notes, part 2" in r.text)
    assert "Notes, part 2" in page.text
    time.sleep(2.5)         # past every daemon process's check interval
    for _ in range(8):
        text = server.request("/blog?page=1").text
        assert "Notes, part 2" in text and "as the cache has them" not in text
    with open(kept, "rb") as handle:
        pickle.load(handle)
        assert pickle.load(handle)[path][1][meta_at]["title"] == "Notes, part 2"

@pytest.fixture(scope="module")
def tls_server(deployment):
    """The same site after certbot: an HTTPS copy of the virtual host, and HTTP redirecting to it."""
    _, _, clone = deployment
    server = ApacheServer(clone.parent / "apache-tls", clone, apache_server.apache_venv(), tls=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("path", REDIRECTED)
def test_https_www_redirects_to_the_https_apex(tls_server, path):
    response = tls_server.request(path, host=f"www.{apache_server.DOMAIN}", tls=True)
    assert response.status == 301
    assert response.getheader("Location") == f"https://{apache_server.DOMAIN}{path}"


@pytest.mark.parametrize("host", [apache_server.DOMAIN, f"www.{apache_server.DOMAIN}"])
@pytest.mark.parametrize("path", REDIRECTED)
def test_http_goes_to_the_https_apex_in_one_hop(tls_server, host, path):
    response = tls_server.request(path, host=host)
    assert response.status == 301
    assert response.getheader("Location") == f"https://{apache_server.DOMAIN}{path}"


def test_https_apex_serves_the_site(tls_server):
    response = tls_server.request("/blog/served-by-mod-wsgi", tls=True)
    assert response.status == 200 and "Served by mod_wsgi" in response.text
    assert tls_server.request("/.well-known/acme-challenge/t").status == 404   # not redirected


def test_https_speaks_http2(tls_server):
    import socket
    import ssl
    context = ssl.create_default_context(cafile=str(tls_server.root / "site" / "tls.crt"))
    context.check_hostname = False
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", tls_server.tls_port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=apache_server.DOMAIN) as conn:
            assert conn.selected_alpn_protocol() == "h2"
    curl = shutil.which("curl")
    if curl:   # a whole request over HTTP/2, served from the build
        out = subprocess.run([curl, "-s", "--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                              "--cacert", str(tls_server.root / "site" / "tls.crt"), "--resolve",
                              f"{apache_server.DOMAIN}:{tls_server.tls_port}:127.0.0.1",
                              f"https://{apache_server.DOMAIN}:{tls_server.tls_port}/blog"],
                             capture_output=True, text=True)
        assert out.stdout == "2 200", out.stdout + out.stderr


def wait_for(server, path, predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        response = server.request(path)
        if predicate(response) or time.monotonic() > deadline:
            return response
        time.sleep(0.25)


def run_update(clone):
    return subprocess.run([str(clone / "deploy" / "update.sh")], capture_output=True, text=True)


class Reader(threading.Thread):
    """Fetches ``paths`` in a loop until stopped; keeps (path, status, edition) of each answer."""

    def __init__(self, server, paths):
        super().__init__(daemon=True)
        self.server, self.paths, self.seen = server, paths, []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set() and len(self.seen) < 20000:
            for path in self.paths:
                try:
                    response = self.server.request(path, retry=False, timeout=10)
                    editions = set(re.findall(r"the (first|second) edition", response.text))
                    self.seen.append((path, response.status, editions))
                except OSError as exc:
                    self.seen.append((path, repr(exc), set()))


def test_update_builds_then_switches_code_and_build_atomically(deployment):
    server, origin, clone = deployment
    before = server.request("/blog/served-by-mod-wsgi")
    assert "first edition" in before.text and server.handler_of("/blog/served-by-mod-wsgi") == "-"
    assert server.request("/blog?page=1").getheader("X-Deployed-Version") is None

    (origin / "posts" / "served-by-mod-wsgi.md").write_text(POST.format(edition="second"))
    with open(origin / "website" / "__init__.py", "a") as init:
        init.write(CODE_CHANGE)
    git(origin, "commit", "--quiet", "-am", "Second edition")
    wsgi_mtime = (clone / "website.wsgi").stat().st_mtime_ns
    old_build = (clone / "build").resolve()

    paths = ["/blog/served-by-mod-wsgi", "/", "/feed.xml", "/blog/served-by-mod-wsgi?x=1"]
    reader = Reader(server, paths)
    reader.start()
    time.sleep(0.5)
    try:
        result = run_update(clone)
        time.sleep(1)
    finally:
        reader.done.set()
        reader.join(30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 image ready" in result.stdout
    assert git(clone, "rev-parse", "HEAD") == git(origin, "rev-parse", "HEAD")
    assert (clone / "website.wsgi").stat().st_mtime_ns != wsgi_mtime
    assert (clone / "build").resolve() != old_build

    # Every answer during the switch: whole, of one version; once a path showed
    # the new version from its file, it never showed the old one again.
    assert len(reader.seen) > 20
    errors = [seen for seen in reader.seen if seen[1] != 200 or len(seen[2]) != 1]
    assert not errors, errors[:5]
    for path in paths[:3]:
        editions = [next(iter(e)) for p, _, e in reader.seen if p == path]
        assert editions[0] == "first" and editions[-1] == "second", (path, editions)
        assert editions == sorted(editions, key=["first", "second"].index), path

    page = server.request("/blog/served-by-mod-wsgi")
    assert "second edition" in page.text and server.handler_of("/blog/served-by-mod-wsgi") == "-"
    after = wait_for(server, "/blog?page=1", lambda r: r.getheader("X-Deployed-Version") == "2")
    assert after.getheader("X-Deployed-Version") == "2", server.error_logs[-2000:]
    # The app now sends two of the headers itself: still once each, Apache's value.
    for name in SECURITY_HEADERS:
        assert len(header_values(after, name)) == 1, after.getheaders()
    assert after.getheader("X-Content-Type-Options") == "nosniff"
    assert after.getheader("Referrer-Policy") == "strict-origin-when-cross-origin"

    again = run_update(clone)
    assert again.returncode == 0 and "up to date" in again.stdout
    # The server's own settings are not in git: the update keeps them.
    assert f"<id>{SITE_URL}/blog/served-by-mod-wsgi</id>" in server.request("/feed.xml").text


def test_update_puts_each_new_or_changed_file_in_place_in_one_rename(deployment):
    """The live site must never see a post missing or empty: git's own checkout
    removes a file before writing it again, so the update renames each one in."""
    server, origin, clone = deployment
    (origin / "posts" / "served-by-mod-wsgi.md").write_text(POST.format(edition="third"))
    (origin / "posts" / "added-by-the-update.md").write_text(
        "---\ntitle: Added by the update\ndate: 2026-01-04\n---\n\nNew.\n")
    (origin / "posts" / "notes-(part-2).md").unlink()
    tool = origin / "deploy" / "hello.sh"
    tool.write_text("#!/bin/sh\necho hello\n")
    tool.chmod(0o755)
    (origin / "deploy" / "hello-again.sh").symlink_to("hello.sh")
    # A file a checkout filters (as Git LFS does): written as a checkout writes
    # it, once (git's reset must find it right, not remove and write it again).
    (origin / ".gitattributes").write_text("*.shout filter=shout\n")
    (origin / "deploy" / "notice.shout").write_text("quiet words\n")
    smudged = clone.parent / "smudged.log"
    git(clone, "config", "filter.shout.smudge", f"{{ tr '\\0' ' ' </proc/$PPID/cmdline; echo; }} >>'{smudged}'; tr a-z A-Z")
    git(clone, "config", "filter.shout.clean", "tr A-Z a-z")
    git(origin, "add", "--all")
    git(origin, "commit", "--quiet", "-m", "Add, change, remove")
    edited = clone / "posts" / "served-by-mod-wsgi.md"
    inode = edited.stat().st_ino

    result = run_update(clone)
    assert result.returncode == 0, result.stdout + result.stderr
    assert git(clone, "rev-parse", "HEAD") == git(origin, "rev-parse", "HEAD")
    # Exactly the new commit's tree: nothing left over, nothing missing, modes kept.
    assert git(clone, "status", "--porcelain", "--untracked-files=all",
               "--", "posts", "deploy", "static", ".gitattributes") == ""
    assert "third edition" in edited.read_text() and edited.stat().st_ino != inode
    assert not (clone / "posts" / "notes-(part-2).md").exists()
    assert (clone / "posts" / "added-by-the-update.md").is_file()
    assert os.access(clone / "deploy" / "hello.sh", os.X_OK)
    assert os.readlink(clone / "deploy" / "hello-again.sh") == "hello.sh"
    assert (clone / "deploy" / "notice.shout").read_text() == "QUIET WORDS\n"
    writers = [line.split()[1] for line in smudged.read_text().splitlines()]
    assert writers.count("cat-file") == 1 and "reset" not in writers, writers
    assert not list(clone.rglob(".*.update-*"))
    assert server.request("/blog/added-by-the-update?x=1").status == 200


def test_update_stops_before_overwriting_an_untracked_file(deployment):
    server, origin, clone = deployment
    (origin / "posts" / "added-by-the-update-too.md").write_text(
        "---\ntitle: Added by the update too\ndate: 2026-01-05\n---\n\nNew.\n")
    git(origin, "add", "--all")
    git(origin, "commit", "--quiet", "-m", "Add a post")
    mine = clone / "posts" / "added-by-the-update-too.md"
    mine.write_text("Written on the server, never committed.\n")
    deployed = git(clone, "rev-parse", "HEAD")

    result = run_update(clone)
    assert result.returncode != 0 and "is in the way" in result.stderr
    assert mine.read_text() == "Written on the server, never committed.\n"
    assert git(clone, "rev-parse", "HEAD") == deployed
    assert "building" not in result.stdout        # stopped before the build
    mine.unlink()           # moved away: the update goes through
    assert run_update(clone).returncode == 0


def test_an_edit_on_the_server_and_a_scheduled_post_appear_with_the_next_build(deployment):
    server, _, clone = deployment
    post = clone / "posts" / "another-post.md"
    original = post.read_text()
    scheduled = clone / "posts" / "scheduled.md"
    due = int(time.time()) + 8
    date = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(due))
    try:
        post.write_text(original.replace("Nothing to see.", "Edited on the server."))
        scheduled.write_text(f"---\ntitle: Scheduled\ndate: {date}\n---\n\nLater.\n")
        assert run_build(clone, "--quiet", "--if-changed").returncode == 0
        assert "Edited on the server." in server.request("/blog/another-post").text
        assert server.handler_of("/blog/another-post") == "-"
        assert server.request("/blog/scheduled").status == 404
        time.sleep(max(0, due + 1 - time.time()))
        quiet = run_build(clone, "--quiet", "--if-changed")
        assert quiet.returncode == 0 and quiet.stdout == "", quiet.stdout + quiet.stderr
        assert "Later." in server.request("/blog/scheduled").text
        assert server.handler_of("/blog/scheduled") == "-"
        # A run that finds nothing new writes nothing, and the lock keeps two apart.
        nothing = run_build(clone)
        assert "0 written" in nothing.stdout and "precompress" not in nothing.stdout
        with open(clone / ".build-cache" / "deploy.lock") as lock:
            import fcntl
            fcntl.flock(lock, fcntl.LOCK_EX)
            skipped = run_build(clone)
            assert skipped.returncode == 0 and "skipped" in skipped.stdout
            waited = run_build(clone, "--wait", "1")
            assert waited.returncode != 0 and "held the lock" in waited.stderr
    finally:
        post.write_text(original)
        scheduled.unlink(missing_ok=True)
        assert run_build(clone).returncode == 0
    assert server.request("/blog/scheduled").status == 404


def test_the_timer_skips_a_minute_with_nothing_new(deployment):
    server, _, clone = deployment
    stamp = clone / ".build-cache" / "deploy.stamp"
    assert run_build(clone).returncode == 0
    built = (clone / "build").resolve()
    before = stamp.stat().st_mtime_ns
    time.sleep(0.05)
    skipped = run_build(clone, "--quiet", "--if-changed")
    assert skipped.returncode == 0 and skipped.stdout == skipped.stderr == ""
    assert stamp.stat().st_mtime_ns == before      # no build ran
    # A file the build reads, touched: the next run builds.
    (clone / "site.yaml").touch()
    assert run_build(clone, "--quiet", "--if-changed").returncode == 0
    assert stamp.stat().st_mtime_ns != before
    assert (clone / "build").resolve() == built     # same bytes: nothing rewritten
    assert server.request("/").status == 200


def test_failed_check_leaves_the_site_untouched(deployment):
    server, origin, clone = deployment
    deployed = git(clone, "rev-parse", "HEAD")
    (origin / "posts" / "broken.md").write_text(BROKEN_POST)
    git(origin, "add", "posts/broken.md")
    git(origin, "commit", "--quiet", "-m", "A broken post")

    result = run_update(clone)
    assert result.returncode != 0
    assert "check failed" in result.stderr and "broken.md" in result.stdout
    assert git(clone, "rev-parse", "HEAD") == deployed
    assert not (clone / "posts" / "broken.md").exists()
    assert server.request("/blog/served-by-mod-wsgi").status == 200
    assert "broken" not in server.request("/sitemap.xml").text


def test_failed_pull_leaves_the_site_untouched(deployment):
    server, origin, clone = deployment
    (clone / "posts" / "local-only.md").write_text(OTHER_POST)
    git(clone, "add", "posts/local-only.md")
    git(clone, "commit", "--quiet", "-m", "Edited on the server")
    deployed = git(clone, "rev-parse", "HEAD")

    result = run_update(clone)
    assert result.returncode != 0
    assert "not a fast-forward" in result.stderr
    assert git(clone, "rev-parse", "HEAD") == deployed
    assert server.request("/").status == 200


def test_make_deploy_runs_the_update_over_ssh(tmp_path):
    fake_ssh = tmp_path / "ssh"
    log = tmp_path / "ssh.log"
    fake_ssh.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{log}"\n')
    fake_ssh.chmod(0o755)
    result = subprocess.run(["make", "--no-print-directory", "-C", str(REPO), "deploy",
                             "HOST=ubuntu@blog.example.com", "DIR=sites/blog", f"SSH={fake_ssh}"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == ["ubuntu@blog.example.com", "sites/blog/deploy/update.sh"]

    no_host = subprocess.run(["make", "--no-print-directory", "-C", str(REPO), "deploy",
                              f"SSH={fake_ssh}"], capture_output=True, text=True)
    assert no_host.returncode != 0 and "HOST=" in no_host.stderr
