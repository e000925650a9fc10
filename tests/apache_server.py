"""A real Apache + mod_wsgi in the foreground, running the project's own site.

The server gets its own ServerRoot in a temporary folder and listens on a free
127.0.0.1 port. Its httpd.conf only does what Debian's apache2.conf does for a
site (modules, a deny-all ``<Directory />``, logs, a catch-all default site);
the site itself is deploy/apache/*.in rendered by deploy/apache/render.sh, the
same script setup.sh uses.

mod_wsgi embeds Debian's /usr/bin/python3, so the site's virtualenv is made
with that Python (``.venv-apache/``, rebuilt when requirements.txt changes).
As root, Apache's children and the WSGI daemon run as ``nobody``: Apache will
not serve as root. ``nobody`` can't enter a clone in a private folder (mode
700, ``/root/...``), so the server then gets its own copy of the venv in its
temporary folder, and a served project it can't read stops the start at once.
When Apache can't start or its site can't answer, :meth:`ApacheServer.start`
fails within seconds, quoting the error log.
"""
import grp
import hashlib
import http.client
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APACHE_DIR = REPO / "deploy" / "apache"
RENDER = APACHE_DIR / "render.sh"
MODULES_DIR = Path("/usr/lib/apache2/modules")
MOD_WSGI = MODULES_DIR / "mod_wsgi.so"
SYSTEM_PYTHON = Path("/usr/bin/python3")
APACHE_VENV = REPO / ".venv-apache"
DOMAIN = "blog.test"
# The modules the site needs, as setup.sh enables them, plus the MPM.
MODULES = ["mpm_event", "authz_core", "authz_host", "alias", "mime", "headers",
           "filter", "deflate", "rewrite", "wsgi", "env"]
# Loaded when the system has them, as setup.sh enables them.
OPTIONAL_MODULES = ["brotli"]
# Error log lines that mean the site will never answer: stop waiting.
FATAL_LOG = re.compile(r"Permission denied|Unable to stat Python home|Failed to exec|"
                       r"Target WSGI script .* cannot be loaded|AH00526|AH00016|AH00543")


def missing_tools():
    """What is missing to run Apache here, or an empty list."""
    missing = [str(p) for p in (Path("/usr/sbin/apache2"), MOD_WSGI, SYSTEM_PYTHON) if not p.exists()]
    if shutil.which("git") is None:
        missing.append("git")
    return missing


def mod_wsgi_python():
    """``3.11``: the Python version mod_wsgi.so is linked against."""
    out = subprocess.run(["ldd", str(MOD_WSGI)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"libpython(\d+\.\d+)", out)
    assert found, f"no libpython in ldd {MOD_WSGI}:\n{out}"
    return found.group(1)


def python_version(python):
    out = subprocess.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout
    return out.strip()


def apache_venv():
    """The virtualenv for mod_wsgi, made with /usr/bin/python3; built once per requirements."""
    requirements = (REPO / "requirements.txt").read_bytes()
    stamp_text = f"{python_version(SYSTEM_PYTHON)} {hashlib.sha256(requirements).hexdigest()}\n"
    stamp = APACHE_VENV / ".requirements-stamp"
    if stamp.exists() and stamp.read_text() == stamp_text:
        return APACHE_VENV
    shutil.rmtree(APACHE_VENV, ignore_errors=True)
    subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", str(APACHE_VENV)], check=True)
    subprocess.run([str(APACHE_VENV / "bin" / "pip"), "install", "--quiet",
                    "--disable-pip-version-check", "-r", str(REPO / "requirements.txt")], check=True)
    stamp.write_text(stamp_text)
    # The same record setup.sh and deploy/update.sh keep.
    (APACHE_VENV / ".requirements-sha256").write_text(hashlib.sha256(requirements).hexdigest() + "\n")
    return APACHE_VENV


def project_files():
    """The working tree as git sees it: tracked files plus new, not ignored ones."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [name for name in out.split("\0") if name and (REPO / name).is_file()]


def copy_project(dest):
    """Copy the project's working tree (no .git, no venvs) to ``dest``."""
    dest = Path(dest)
    for name in project_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    return dest


def can_read(user, path):
    """Whether ``user`` can read ``path`` (and pass through every folder above it)."""
    if pwd.getpwuid(os.geteuid()).pw_name == user:
        return os.access(path, os.R_OK)
    test = subprocess.run(["runuser", "-u", user, "--", "test", "-r", str(path)],
                          capture_output=True)
    return test.returncode == 0


def readable_venv(venv, user, dest):
    """``venv``, or a copy of it in ``dest`` when ``user`` can't read it (a private clone)."""
    venv = Path(venv)
    if can_read(user, venv / "pyvenv.cfg") and can_read(user, venv / "lib"):
        return venv
    if not (dest / "pyvenv.cfg").exists():
        shutil.copytree(venv, dest, symlinks=True)
        subprocess.run(["chmod", "-R", "a+rX", str(dest)], check=True)
    return dest


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_identity():
    """(user, group) for Apache's children and the WSGI daemon."""
    if os.geteuid() == 0:
        user = pwd.getpwnam("nobody")
        return user.pw_name, grp.getgrgid(user.pw_gid).gr_name
    return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name


def render(template, **values):
    """deploy/apache/<template> rendered by render.sh."""
    args = [str(RENDER), str(APACHE_DIR / template)] + [f"{k}={v}" for k, v in values.items()]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


class ApacheServer:
    """``apache2 -DFOREGROUND`` serving ``project`` through the project's site template."""

    def __init__(self, root, project, venv, tls=False):
        self.root = Path(root)
        self.project = Path(project).resolve()
        self.venv = Path(venv)
        self.port = free_port()
        # With tls, an HTTPS copy of the virtual host too, as certbot --apache makes it.
        self.tls_port = free_port() if tls else None
        self.user, self.group = run_identity()
        self.process = None
        self._log_marks = {}
        for sub in ("conf", "site", "logs", "run", "sites-enabled", "www/html"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self.venv = readable_venv(self.venv, self.user, self.root / "venv")
        # Debian's layout: /var/www/html/website -> the project.
        self.link = self.root / "www" / "html" / "website"
        if not self.link.is_symlink():
            self.link.symlink_to(self.project)

    @property
    def access_log(self):
        return self.root / "logs" / "website-access.log"

    @property
    def error_logs(self):
        return "\n".join(p.read_text(errors="replace") for p in sorted((self.root / "logs").glob("*error*")))

    def write_config(self):
        site = self.root / "site"
        vhost_conf = site / "website-vhost.conf"
        vhost_conf.write_text(render("website-vhost.conf.in", PROJECT_DIR=self.project))
        (site / "website.conf").write_text(render(
            "website.conf.in", DOMAIN=DOMAIN, PORT=self.port, PROJECT_DIR=self.project,
            PROJECT_LINK=self.link, VENV_DIR=self.venv, USER=self.user, GROUP=self.group,
            VHOST_CONF=vhost_conf))
        shutil.copy(APACHE_DIR / "website-hardening.conf", site / "website-hardening.conf")
        modules = "\n".join(f"LoadModule {m}_module {MODULES_DIR}/mod_{m}.so" for m in MODULES
                            + [m for m in OPTIONAL_MODULES if (MODULES_DIR / f"mod_{m}.so").exists()]
                            # setup.sh --tls enables HTTP/2; the site's config turns it on.
                            + (["http2"] if self.tls_port else []))
        identity = f"User {self.user}\nGroup {self.group}" if os.geteuid() == 0 else ""
        root = self.root
        (root / "conf" / "httpd.conf").write_text(f"""\
ServerRoot "{root}"
Define APACHE_LOG_DIR "{root}/logs"
DefaultRuntimeDir "{root}/run"
PidFile "{root}/run/apache2.pid"
Mutex file:{root}/run default
{identity}
{modules}
Listen 127.0.0.1:{self.port}
ServerName 127.0.0.1
Timeout 30
TypesConfig /etc/mime.types
ErrorLog "{root}/logs/error.log"
LogLevel warn wsgi:info
# %R, the handler, tells mod_wsgi's answers from Apache's own files.
LogFormat "%h \\"%r\\" %>s handler=%R" combined
WSGISocketPrefix "{root}/run/wsgi"
DocumentRoot "{root}/www/html"
<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
<Directory "{root}/www">
    Options Indexes FollowSymLinks
    AllowOverride None
    Require all granted
</Directory>
Include "{root}/site/website-hardening.conf"
Include "{root}/site/website.conf"
IncludeOptional "{root}/sites-enabled/*.conf"
# Like Debian's 000-default: another site on /var/www/html, next to ours.
<VirtualHost *:{self.port}>
    ServerName other.test
    DocumentRoot "{root}/www/html"
</VirtualHost>
""")

    def write_tls_site(self):
        """``sites-enabled/website-le-ssl.conf``: what certbot adds, with a self-signed certificate."""
        site = self.root / "site"
        key, cert = site / "tls.key", site / "tls.crt"
        if not cert.exists():
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", f"/CN={DOMAIN}", "-addext", f"subjectAltName=DNS:{DOMAIN},DNS:www.{DOMAIN}",
                            "-keyout", str(key), "-out", str(cert)], capture_output=True, check=True)
        (self.root / "sites-enabled" / "website-le-ssl.conf").write_text(f"""\
LoadModule socache_shmcb_module {MODULES_DIR}/mod_socache_shmcb.so
LoadModule ssl_module {MODULES_DIR}/mod_ssl.so
SSLSessionCache shmcb:{self.root}/run/ssl_scache(512000)
Listen 127.0.0.1:{self.tls_port}
<VirtualHost *:{self.tls_port}>
    ServerName {DOMAIN}
    ServerAlias www.{DOMAIN}
    Include "{site / 'website-vhost.conf'}"
    SSLEngine on
    SSLCertificateFile "{cert}"
    SSLCertificateKeyFile "{key}"
</VirtualHost>
""")

    def configtest(self):
        return subprocess.run(["apache2", "-t", "-f", str(self.root / "conf" / "httpd.conf")],
                              capture_output=True, text=True)

    def start(self, timeout=20):
        """Start Apache and wait until both a file and the app answer; fail fast, quoting the log."""
        for path in (self.project / "website.wsgi", self.venv / "pyvenv.cfg"):
            if not can_read(self.user, path):
                raise RuntimeError(f"Apache's user {self.user} can't read {path}: serve a copy "
                                   "in a folder it can enter (see copy_project)")
        self.write_config()
        if self.tls_port:
            self.write_tls_site()
        test = self.configtest()
        assert test.returncode == 0, f"configtest failed:\n{test.stderr}"
        self._instance_cache()
        # The daemon keeps its cache where a deployed one does (instance/cache/),
        # not where the test run points the apps it starts itself.
        env = {name: value for name, value in os.environ.items() if name != "FLASK_CACHE_DIR"}
        self.process = subprocess.Popen(
            ["apache2", "-f", str(self.root / "conf" / "httpd.conf"), "-DFOREGROUND"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, env=env)
        try:
            self._wait_until_serving(time.monotonic() + timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _instance_cache(self):
        """``instance/cache/``, the daemon's own: on a server, setup.sh runs the daemon
        as the project's owner, who can make it; here it may run as nobody."""
        cache = self.project / "instance" / "cache"
        if cache.exists():
            return
        cache.mkdir(parents=True, mode=0o700)
        if os.geteuid() == 0:
            owner = pwd.getpwnam(self.user)
            os.chown(cache, owner.pw_uid, owner.pw_gid)

    def graceful(self, timeout=30):
        """A graceful restart (new children and WSGI daemons); wait until both answer again."""
        os.kill(self.process.pid, signal.SIGUSR1)
        time.sleep(1)       # the old children finish the requests they hold
        self._wait_until_serving(time.monotonic() + timeout)

    def _wait_until_serving(self, deadline):
        self._wait_for("/static/css/site.css", deadline, lambda status: status < 500)
        # The WSGI daemon: the app's own 404 for a URL nothing else serves.
        self._wait_for("/.apache-harness-check", deadline, lambda status: status == 404)

    def _wait_for(self, path, deadline, good):
        status = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"apache2 exited {self.process.returncode}:\n"
                                   f"{self.process.stderr.read().decode()}\n{self.error_logs}")
            fatal = [line for line in self.error_logs.splitlines() if FATAL_LOG.search(line)]
            if fatal:
                raise RuntimeError(f"Apache can't serve the site (error log):\n" + "\n".join(fatal[-10:]))
            try:
                status = self.request(path, retry=False, tls=bool(self.tls_port),
                                      timeout=max(1, deadline - time.monotonic())).status
                if good(status):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"apache2 did not answer {path} on port {self.port} (last status "
                           f"{status}):\n{self.error_logs[-3000:]}")

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process.stderr.close()
        self.process = None

    def request(self, path, host=DOMAIN, headers=None, retry=True, tls=False, timeout=30,
                method="GET"):
        """GET ``path`` exactly as written (no client-side normalisation); ``tls``: over HTTPS."""
        attempts = 3 if retry else 1
        # Where the access log ends now: handler_of() reads this request's line after it.
        try:
            self._log_marks[path] = self.access_log.stat().st_size
        except FileNotFoundError:
            self._log_marks[path] = 0
        for attempt in range(attempts):
            if tls:
                context = ssl.create_default_context(cafile=str(self.root / "site" / "tls.crt"))
                context.check_hostname = False
                conn = http.client.HTTPSConnection("127.0.0.1", self.tls_port, timeout=timeout,
                                                   context=context)
            else:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                conn.putheader("Host", host)
                for name, value in (headers or {}).items():
                    conn.putheader(name, value)
                conn.endheaders()
                response = conn.getresponse()
                response.body = response.read()
                response.text = response.body.decode("utf-8", errors="replace")
                return response
            except (ConnectionError, http.client.RemoteDisconnected):
                if attempt + 1 == attempts:
                    raise
                time.sleep(0.5)
            finally:
                conn.close()

    def handler_of(self, path, timeout=5):
        """The handler that answered the latest GET of ``path``, from the access log.

        Apache logs a request just after answering it, so wait for the line
        (only lines written since that request was sent count).
        """
        deadline = time.monotonic() + timeout
        mark = self._log_marks.get(path, 0)
        while True:
            found = None
            with open(self.access_log, "rb") as log:
                log.seek(mark)
                lines = log.read().decode(errors="replace").splitlines()
            for line in lines:
                match = re.search(r'"GET (\S+) HTTP/[\d.]+" \d+ handler=(\S+)', line)
                if match and match.group(1) == path:
                    found = match.group(2)
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)
