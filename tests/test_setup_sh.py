"""setup.sh for real: it installs and reconfigures this machine's Apache.

Runs only with WEBSITE_TEST_SETUP_SH=1 (.ci/run sets it), as root, on a
supported system without another server on port 80. A throwaway user gets a
mode-750 home with the project in it; setup.sh serves it on port 80. Apache
is stopped and the site removed afterwards.
"""
import http.client
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

import apache_server

USER = "websitetest"
DOMAIN = "example.com"
APACHE = Path("/etc/apache2")
CRON_FILE = Path("/etc/cron.d/website-build")
WATCHED = [APACHE, Path("/var/www/html"), Path("/etc/cron.d"), Path("/etc/systemd/system")]
# What certbot --apache enables; its presence tells setup.sh the site has TLS.
LE_SSL = APACHE / "sites-enabled" / "website-le-ssl.conf"
SITE_URL = f"http://{DOMAIN}"


def _skip_reason():
    if os.environ.get("WEBSITE_TEST_SETUP_SH") != "1":
        return "set WEBSITE_TEST_SETUP_SH=1 to run setup.sh for real (it reconfigures this machine's Apache)"
    if os.geteuid() != 0:
        return "setup.sh must run as root"
    release = Path("/etc/os-release").read_text() if Path("/etc/os-release").exists() else ""
    if not any(f'VERSION_ID="{v}"' in release for v in ("12", "22.04", "24.04")):
        return "not a system setup.sh supports"
    return None


def port_80_taken():
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", 80)) == 0


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


def sh(*args, check=True, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, check=check, **kwargs)


def snapshot():
    """What setup.sh may change: files under /etc/apache2 and /var/www/html, the
    home's ACL, the venv, and whether Apache runs."""
    state = []
    for top in WATCHED:
        for path in sorted(top.rglob("*")) if top.exists() else []:
            info = path.lstat()
            state.append((str(path), info.st_mode, info.st_size, info.st_mtime_ns,
                          os.readlink(path) if path.is_symlink() else None))
    home = Path(pwd.getpwnam(USER).pw_dir)
    acl = sh("getfacl", "-p", str(home), check=False).stdout if shutil.which("getfacl") else ""
    state.append(("acl", acl, (home / "website" / ".venv").exists(), apache_pids()))
    instance = home / "website" / "instance" / "config.py"
    state.append(("instance", instance.read_text() if instance.exists() else None))
    return state


def apache_pids():
    """The system Apache's processes (its pid file's, and its children): the
    Apaches that other tests start in the foreground don't count."""
    try:
        main = Path("/var/run/apache2/apache2.pid").read_text().strip()
    except OSError:
        return []
    if not main.isdigit() or not Path(f"/proc/{main}").exists():
        return []
    children = sh("ps", "-o", "pid=", "--ppid", main, check=False).stdout.split()
    return sorted([main, *children])


def stop_apache():
    sh("apache2ctl", "stop", check=False)
    deadline = time.monotonic() + 15
    while apache_pids() and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.fixture(scope="module")
def project():
    """~websitetest/website: a git clone of the project in a mode-750 home."""
    # Installing apache2 may have started the stock Apache; the tests start their own.
    stop_apache()
    if port_80_taken():
        pytest.fail("something other than Apache listens on 127.0.0.1:80; "
                    "stop it to test setup.sh on this machine")
    if shutil.which("userdel") and sh("id", USER, check=False).returncode == 0:
        sh("userdel", "-r", USER, check=False)
    sh("useradd", "--create-home", "--shell", "/bin/bash", USER)
    home = Path(pwd.getpwnam(USER).pw_dir)
    home.chmod(0o750)
    project = home / "website"
    apache_server.copy_project(project)
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com"]
    sh(*git, "init", "--quiet", cwd=project)
    sh(*git, "add", "--all", cwd=project)
    sh(*git, "commit", "--quiet", "-m", "Deployed", cwd=project)
    sh("chown", "-R", f"{USER}:", str(project))
    default_enabled = (APACHE / "sites-enabled" / "000-default.conf").exists()
    cron_was_running = bool(sh("pidof", "cron", check=False).stdout.strip())
    try:
        yield project
    finally:
        stop_apache()
        if shutil.which("a2dissite"):
            sh("a2dissite", "-q", "website", check=False)
            sh("a2disconf", "-q", "website-hardening", check=False)
            if default_enabled:
                sh("a2ensite", "-q", "000-default", check=False)
        for path in (APACHE / "sites-available" / "website.conf", APACHE / "website", LE_SSL,
                     APACHE / "conf-available" / "website-hardening.conf", Path("/var/www/html/website")):
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
        CRON_FILE.unlink(missing_ok=True)
        cron = sh("pidof", "cron", check=False).stdout.split()
        if cron and not cron_was_running:      # setup.sh started it for the timer
            sh("kill", *cron, check=False)
        remove_user()


def remove_user(timeout=30):
    """Delete the throwaway user, once the builds the timer started as it are done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = sh("ps", "-o", "pid=", "-u", USER, check=False).stdout.split()
        if not left:
            break
        if time.monotonic() > deadline - 10:
            sh("kill", "-9", *left, check=False)
        time.sleep(0.5)
    sh("userdel", "-r", USER, check=False)
    assert sh("id", USER, check=False).returncode != 0, f"user {USER} was not removed"


def setup_sh(project, *args, user=None, prefix=()):
    command = [*prefix, str(project / "setup.sh"), *args]
    if user:
        command = ["runuser", "-u", user, "--", *command]
    return subprocess.run(command, capture_output=True, text=True, cwd="/")


def get(path, host=DOMAIN, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", 80, timeout=30)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        response.body = response.read()
        response.text = response.body.decode("utf-8", errors="replace")
        return response
    finally:
        conn.close()


# The error cases come first: each must leave the machine exactly as it was.

def test_refuses_without_root(project):
    before = snapshot()
    result = setup_sh(project, "--domain", DOMAIN, user=USER)
    assert result.returncode != 0
    assert "run as root" in result.stderr
    assert snapshot() == before


def test_refuses_without_domain(project):
    before = snapshot()
    result = setup_sh(project)
    assert result.returncode != 0
    assert "--domain is required" in result.stderr
    result = setup_sh(project, "--domain", "not a domain")
    assert result.returncode != 0 and "not a domain name" in result.stderr
    result = setup_sh(project, "--domain", DOMAIN, "--tls")
    assert result.returncode != 0 and "--email" in result.stderr
    result = setup_sh(project, "--domain", f"www.{DOMAIN}")
    assert result.returncode != 0
    assert f"give the domain without www: --domain {DOMAIN}" in result.stderr
    assert snapshot() == before


def test_refuses_an_unsupported_system(project, tmp_path):
    fake = tmp_path / "os-release"
    fake.write_text('ID=fedora\nVERSION_ID="40"\nPRETTY_NAME="Fedora Linux 40"\n')
    fake.chmod(0o644)
    if sh("unshare", "--mount", "true", check=False).returncode != 0:
        pytest.skip("needs unshare --mount to show setup.sh another /etc/os-release")
    before = snapshot()
    script = f'mount --bind "{fake}" /etc/os-release && exec "{project}/setup.sh" --domain {DOMAIN}'
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "unsupported system 'Fedora Linux 40'" in result.stderr
    assert snapshot() == before


def test_refuses_when_another_program_has_port_80(project):
    before = snapshot()
    squatter = subprocess.Popen([sys.executable, "-m", "http.server", "80", "--bind", "0.0.0.0"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp")
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", 80)) == 0:
                    break
            time.sleep(0.1)
        result = setup_sh(project, "--domain", DOMAIN)
    finally:
        squatter.terminate()
        squatter.wait()
    assert result.returncode != 0
    assert "port 80 is taken" in result.stderr
    assert snapshot() == before


def test_dry_run_changes_nothing(project):
    before = snapshot()
    result = setup_sh(project, "--domain", DOMAIN, "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "would run: a2ensite -q website" in result.stdout
    assert "would write /etc/apache2/sites-available/website.conf" in result.stdout
    assert f"setting SITE_URL to {SITE_URL} in {project}/instance/config.py" in result.stdout
    assert "none made" in result.stdout
    assert snapshot() == before


# The owner's own line in the server's settings, which setup.sh must keep.
OWNER_LINE = 'SITE_TITLE = "Set on the server"'


@pytest.fixture(scope="module")
def served(project):
    instance = project / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(f'{OWNER_LINE}\nSITE_URL = "http://127.0.0.1:5000"\n')
    sh("chown", "-R", f"{USER}:", str(instance))
    first = setup_sh(project, "--domain", DOMAIN)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "change(s)" in first.stdout
    assert f'setting SITE_URL to {SITE_URL} in {project}/instance/config.py (was: SITE_URL = "http://127.0.0.1:5000")' in first.stdout
    return project, first


def test_second_run_changes_nothing(served):
    project, _ = served
    before = snapshot()
    second = setup_sh(project, "--domain", DOMAIN)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "no changes" in second.stdout
    assert "+ " not in second.stdout
    assert snapshot() == before


def public_urls(project):
    """Every absolute URL in the feed, the sitemap and a post's head."""
    slug = sorted(p.stem for p in (project / "posts").glob("*.md"))[0]
    feed = get("/feed.xml")
    sitemap = get("/sitemap.xml")
    post = get("/blog/" + urllib.parse.quote(slug))
    assert feed.status == sitemap.status == post.status == 200
    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', post.text).group(1)
    urls = re.findall(r'(?:href="|<id>|<loc>)(https?://[^"<]+)', feed.text + sitemap.text)
    return feed.text, canonical, urls


def test_feed_sitemap_and_canonical_links_carry_the_domain(served):
    project, _ = served
    feed, canonical, urls = public_urls(project)
    assert f'<link href="{SITE_URL}/feed.xml" rel="self"' in feed
    assert canonical.startswith(f"{SITE_URL}/blog/")
    assert len(urls) > 5
    assert all(url == SITE_URL or url.startswith(SITE_URL + "/") for url in urls), urls
    assert "127.0.0.1" not in feed and "localhost" not in feed
    # Every address in the feed at all, entry contents included, is the site's.
    anywhere = set(re.findall(r'https?://[^"<\s]+', feed)) - {"http://www.w3.org/2005/Atom"}
    assert anywhere and all(url.startswith(SITE_URL + "/") for url in anywhere), anywhere


def test_site_url_is_in_the_servers_own_settings(served):
    project, _ = served
    config = project / "instance" / "config.py"
    lines = config.read_text().splitlines()
    assert OWNER_LINE in lines                      # the owner's lines are kept
    assert [line for line in lines if line.startswith("SITE_URL")] == [
        f'SITE_URL = "{SITE_URL}"  # set by setup.sh --domain; run it again to change it']
    assert config.stat().st_uid == pwd.getpwnam(USER).pw_uid
    assert "Set on the server" in get("/").text
    status = sh("runuser", "-u", USER, "--", "git", "-C", str(project), "status", "--porcelain",
                "--ignored", "instance")
    assert status.stdout.startswith("!! instance/")   # git-ignored: no pull touches it


@pytest.mark.parametrize("path", ["/", "/blog?page=2&x=%C3%A9", "/blog/a%20b?q=1", "/feed.xml"])
def test_www_redirects_to_the_apex(served, path):
    response = get(path, host=f"www.{DOMAIN}")
    assert response.status == 301
    assert response.getheader("Location") == f"http://{DOMAIN}{path}"


@pytest.mark.parametrize("host", [DOMAIN, "203.0.113.7"])
def test_serves_the_blog_on_port_80(served, host):
    project, _ = served
    home = get("/", host=host)
    assert home.status == 200, home.text[:300]
    assert home.getheader("Server") == "Apache"
    assert "<html" in home.text and "It works" not in home.text
    slug = sorted(p.stem for p in (project / "posts").glob("*.md"))[0]
    post = get("/blog/" + urllib.parse.quote(slug), host=host)
    assert post.status == 200, (slug, post.text[:300])
    css = get("/static/css/site.css", host=host)
    assert css.status == 200 and css.getheader("Cache-Control") == "public, max-age=3600"
    assert get("/no/such/page", host=host).status == 404


@pytest.mark.parametrize("path", [
    "/website/.git/config", "/.git/config", "/website/website.wsgi", "/website.wsgi",
    "/static/../website/__init__.py", "/website/website/__init__.py", "/website/requirements.txt",
    "/requirements.txt", "/website/setup.sh", "/website/.venv/pyvenv.cfg",
    "/static/%2e%2e/website/config.py", "/website/posts/",
])
def test_source_cannot_be_downloaded(served, path):
    response = get(path)
    assert response.status in (400, 403, 404), (path, response.status)
    for secret in ("[core]", "create_app", "Flask==", "#!/usr/bin/env bash", "home ="):
        assert secret not in response.text, path


def test_home_stays_private(served):
    project, _ = served
    home = project.parent
    assert home.stat().st_mode & 0o777 == 0o750
    acl = sh("getfacl", "-p", str(home)).stdout
    assert "user:www-data:--x" in acl      # pass through, no listing
    assert "other::---" in acl
    denied = sh("runuser", "-u", "nobody", "--", "ls", str(home), check=False)
    assert denied.returncode != 0
    listing = sh("runuser", "-u", "www-data", "--", "ls", str(home), check=False)
    assert listing.returncode != 0
    assert (Path("/var/www/html/website").resolve() == project.resolve())
    assert not (APACHE / "sites-enabled" / "000-default.conf").exists()


def test_site_url_follows_tls_and_survives_later_runs(served):
    """With certbot's site enabled, a later run (even without --tls) makes it https; without, http."""
    project, _ = served
    LE_SSL.write_text("# stands in for certbot's HTTPS virtual host\n")
    sh("apache2ctl", "graceful")      # as certbot does after enabling its site
    try:
        again = setup_sh(project, "--domain", DOMAIN)
        assert again.returncode == 0, again.stdout + again.stderr
        assert f"setting SITE_URL to https://{DOMAIN}" in again.stdout
        # HTTP now goes to the HTTPS apex, in one hop.
        redirect = get("/blog?x=1", host=f"www.{DOMAIN}")
        assert redirect.status == 301
        assert redirect.getheader("Location") == f"https://{DOMAIN}/blog?x=1"
        assert 'SITE_URL = "https://example.com"' in (project / "instance" / "config.py").read_text()
    finally:
        LE_SSL.unlink()
        sh("apache2ctl", "graceful")
    back = setup_sh(project, "--domain", DOMAIN)
    assert back.returncode == 0, back.stdout + back.stderr
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and f"{SITE_URL}/feed.xml" not in get("/feed.xml").text:
        time.sleep(0.5)
    feed, canonical, urls = public_urls(project)
    assert all(url == SITE_URL or url.startswith(SITE_URL + "/") for url in urls), urls
    assert OWNER_LINE in (project / "instance" / "config.py").read_text()


def from_a_file(response):
    """Apache's own file answers carry Last-Modified and byte ranges; the app's don't."""
    return bool(response.getheader("Last-Modified")) and response.getheader("Accept-Ranges") == "bytes"


def test_pages_come_from_the_build_and_the_rest_from_the_app(served):
    project, _ = served
    build = project / "build"
    assert build.is_symlink()
    slug = sorted(p.stem for p in (project / "posts").glob("*.md"))[0]
    for path, name in [("/", "index.html"), ("/blog", "blog.html"), ("/feed.xml", "feed.xml"),
                       ("/blog/" + urllib.parse.quote(slug), f"blog/{slug}.html")]:
        response = get(path)
        assert response.status == 200 and from_a_file(response), (path, response.getheaders())
        assert response.body == (build / name).read_bytes(), path
        assert "Accept-Encoding" in response.getheader("Vary")
        etag = response.getheader("ETag")
        packed = get(path, headers={"Accept-Encoding": "gzip"})
        assert packed.getheader("Content-Encoding") == "gzip"
        assert get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.getheader("ETag")}).status == 304
        assert get(path, headers={"If-None-Match": etag}).status == 304
    for path in ["/search?q=blog", "/blog?page=1"]:
        response = get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status == 200 and not from_a_file(response), path
        assert get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": response.getheader("ETag")}).status == 304
    assert get("/no/such/page").status == 404
    # Apache's user reads the build through the home's pass-through ACLs.
    assert sh("runuser", "-u", "www-data", "--", "test", "-r", str(build / "index.html"),
              check=False).returncode == 0


def test_the_timer_publishes_a_scheduled_post_within_a_minute(served):
    project, _ = served
    if Path("/run/systemd/system").is_dir():
        units = [Path("/etc/systemd/system") / n for n in ("website-build.service", "website-build.timer")]
        assert all(u.exists() for u in units)
        assert sh("systemctl", "is-active", "website-build.timer", check=False).stdout.strip() == "active"
    else:
        entry = CRON_FILE.read_text()
        assert f"* * * * * {USER} {project}/deploy/build.sh --quiet --if-changed" in entry
        assert sh("pidof", "cron", check=False).stdout.strip(), "cron is not running"
    post = project / "posts" / "timer-scheduled.md"
    due = time.time() + 5
    date = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(due))
    post.write_text(f"---\ntitle: Timer scheduled\ndate: {date}\n---\n\nOut on time.\n")
    owner = pwd.getpwnam(USER)
    os.chown(post, owner.pw_uid, owner.pw_gid)
    try:
        assert get("/blog/timer-scheduled").status == 404
        # The next minute's build after the date, plus time to render.
        deadline = due + 60 + 30
        response = None
        while time.time() < deadline:
            response = get("/blog/timer-scheduled")
            if response.status == 200 and from_a_file(response):
                break
            time.sleep(1)
        assert response.status == 200 and from_a_file(response), "the timer did not build it"
        assert "Out on time." in response.text
        assert (project / "build" / "blog" / "timer-scheduled.html").exists()
        assert (project / "build" / "blog" / "timer-scheduled.html").stat().st_uid == pwd.getpwnam(USER).pw_uid
    finally:
        post.unlink(missing_ok=True)
        sh("runuser", "-u", USER, "--", str(project / "deploy" / "build.sh"), "--wait", "60")
    assert get("/blog/timer-scheduled").status == 404
