"""The site behind a real Apache + mod_wsgi, configured by the project's own templates.

A temporary origin repository holds the project with known posts; the served
project is a clone of it, so deploy/update.sh pulls for real.
"""
import gzip
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import apache_server
from website.content.images import variant_formats
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


def header_values(response, name):
    return response.msg.get_all(name) or []


@pytest.mark.parametrize("path, expected_status, text", [
    ("/", 200, "Served by mod_wsgi"),
    ("/blog", 200, "Another post"),
    ("/blog/served-by-mod-wsgi", 200, "first edition"),
    ("/blog/tag/apache", 200, "Served by mod_wsgi"),
    ("/blog/no-such-post", 404, "<html"),
    ("/no/such/page", 404, "<html"),
])
def test_pages_come_through_mod_wsgi(server, path, expected_status, text):
    response = server.request(path)
    assert response.status == expected_status, response.text[:500]
    assert text in response.text
    assert response.getheader("Content-Type").startswith("text/html")
    assert server.handler_of(path) == "wsgi-script"


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
                                  "/static/css/site.css", "/static/.secret"])
def test_security_headers_once_each(server, path):
    response = server.request(path)
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


def wait_for(server, path, predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        response = server.request(path)
        if predicate(response) or time.monotonic() > deadline:
            return response
        time.sleep(0.25)


def run_update(clone):
    return subprocess.run([str(clone / "deploy" / "update.sh")], capture_output=True, text=True)


def test_update_pulls_checks_and_reloads(deployment):
    server, origin, clone = deployment
    before = server.request("/blog/served-by-mod-wsgi")
    assert "first edition" in before.text and before.getheader("X-Deployed-Version") is None

    (origin / "posts" / "served-by-mod-wsgi.md").write_text(POST.format(edition="second"))
    with open(origin / "website" / "__init__.py", "a") as init:
        init.write(CODE_CHANGE)
    git(origin, "commit", "--quiet", "-am", "Second edition")
    wsgi_mtime = (clone / "website.wsgi").stat().st_mtime_ns

    result = run_update(clone)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 image ready" in result.stdout
    assert git(clone, "rev-parse", "HEAD") == git(origin, "rev-parse", "HEAD")
    assert (clone / "website.wsgi").stat().st_mtime_ns != wsgi_mtime

    after = wait_for(server, "/blog/served-by-mod-wsgi",
                     lambda r: r.getheader("X-Deployed-Version") == "2")
    assert after.getheader("X-Deployed-Version") == "2", server.error_logs[-2000:]
    assert "second edition" in after.text
    # The app now sends two of the headers itself: still once each, Apache's value.
    for name in SECURITY_HEADERS:
        assert len(header_values(after, name)) == 1, after.getheaders()
    assert after.getheader("X-Content-Type-Options") == "nosniff"
    assert after.getheader("Referrer-Policy") == "strict-origin-when-cross-origin"

    again = run_update(clone)
    assert again.returncode == 0 and "up to date" in again.stdout
    # The server's own settings are not in git: the update keeps them.
    assert f"<id>{SITE_URL}/blog/served-by-mod-wsgi</id>" in server.request("/feed.xml").text


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
