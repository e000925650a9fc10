"""How fast the deployed stack answers: Apache serving the build, the app the rest.

Usage: .venv/bin/python benchmarks/serve.py [--quick]   (or: make bench-serve)

Starts Apache + mod_wsgi in the foreground on a free 127.0.0.1 port with the
project's own config (tests/apache_server.py, as the Apache tests do), on a
copy of the project with 1,000 generated posts built by deploy/build.sh, then
drives it with wrk and prints each figure beside its target:

1. a post page's requests/s as a ratio of the same bytes served as a plain
   file under /static/, with and without ``Accept-Encoding: gzip`` (target:
   at least 0.9): many short runs, page and file alternating, on three
   generations of Apache's children (graceful restarts). On a small
   machine, one page run against the file run beside it can give anything
   from 0.75 to 1.3, so the ratio is of medians over 24 runs each, and the
   spread of the pairwise ratios is printed with it;
2. p50/p99 latency of the post page at 64 connections for 30 s (target:
   p99 under 50 ms, 0 errors, 0 non-2xx);
3. the WSGI daemon killed (``kill -9``) in the middle of a load run on a mix
   of built pages and app-only URLs (``/search``, ``/blog?page=``): failed
   requests (target: under 0.5%) and how long until the app answers again
   (target: under 2 s);
4. 500+ hostile URLs (traversal in every encoding, overlong, control bytes,
   invalid UTF-8, template injection): 0 answers of 5xx and nothing served
   but built pages, static files and the app's own pages.

Every request loop is bounded in count and time and targets 127.0.0.1 only;
Apache is stopped at the end. Load average is printed with the figures: on a
busy machine the ratios hold better than the absolute numbers.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import apache_server  # noqa: E402
from apache_server import DOMAIN, ApacheServer  # noqa: E402
from hostile_urls import hostile_urls  # noqa: E402
from posts import write_posts  # noqa: E402

WRK = shutil.which("wrk")
POSTS = 1000
PLAIN = "/static/bench/post.html"    # the post page's bytes as a plain static file


def wrk(server, path, seconds, connections=32, headers=(), script=None):
    """wrk's summary of a run: requests/s, latency percentiles (ms), errors, non-2xx."""
    command = [WRK, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s",
               "-H", f"Host: {DOMAIN}"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", str(script)]
    command.append(f"http://127.0.0.1:{server.port}{path}")
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    return parse_wrk(out)


def parse_wrk(out):
    def ms(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
              "requests": int(re.search(r"(\d+) requests in", out).group(1)),
              "non2xx": 0, "errors": 0, "raw": out}
    for pct in ("50", "99"):
        found = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        result[f"p{pct}"] = ms(found.group(1)) if found else None
    found = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non2xx"] = int(found.group(1)) if found else 0
    found = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["errors"] = sum(map(int, found.groups())) if found else 0
    return result


def load():
    return "load average %.2f, %.2f, %.2f" % os.getloadavg()


def verdict(ok):
    return "ok" if ok else "MISSED"


def prepare(base):
    """A copy of the project with generated posts, built; the post page's URL and file."""
    project = apache_server.copy_project(base / "website")
    shutil.rmtree(project / "posts")
    (project / "posts").mkdir()
    write_posts(project / "posts", POSTS)
    venv = apache_server.apache_venv()
    (project / ".venv").symlink_to(venv)
    (project / "instance").mkdir()
    (project / "instance" / "config.py").write_text(f'SITE_URL = "http://{DOMAIN}"\n')
    started = time.monotonic()
    built = subprocess.run([str(project / "deploy" / "build.sh")], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    print(f"built {POSTS} posts in {time.monotonic() - started:.1f} s: "
          f"{built.stdout.strip().splitlines()[0]}")
    return project, venv, "/blog/post-1"


def plain_copy(project):
    """The post page's bytes as a plain file under static/ (not in the build: Apache's Alias)."""
    (project / "static" / "bench").mkdir()
    shutil.copy(project / "build" / "blog" / "post-1.html", project / PLAIN.lstrip("/"))




def no_op_cost(project, *args):
    """CPU time (user + system, children included) of a build run that finds nothing to do."""
    before = os.times()
    subprocess.run([str(project / "deploy" / "build.sh"), "--quiet", *args], check=True)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return cpu, after.elapsed - before.elapsed


def apache_cpu(server):
    """CPU seconds used so far by this Apache's processes (its own process group)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == server.process.pid:      # field 5, the process group
            total += int(fields[11]) + int(fields[12])   # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def ratio_rounds(server, url, headers, rounds, seconds):
    """``rounds`` alternating runs of the page and the file: ``{path: [(requests/s,
    Apache's CPU microseconds per request)]}``."""
    runs = {url: [], PLAIN: []}
    for _ in range(rounds):
        for path, samples in runs.items():
            before = apache_cpu(server)
            run = wrk(server, path, seconds, headers=headers)
            samples.append((run["rps"], (apache_cpu(server) - before)
                            / max(1, run["requests"]) * 1e6))
    return runs


def medians(samples):
    """``(median requests/s, median CPU per request)`` of ``[(rps, cpu)]``."""
    return tuple(statistics.median(column) for column in zip(*samples))


def quartiles(values):
    """``"q1 / median / q3"`` of ``values``, two decimals."""
    if len(values) < 2:
        return " / ".join(f"{v:.2f}" for v in values)
    return " / ".join(f"{q:.2f}" for q in statistics.quantiles(values, n=4, method="inclusive"))


def restart(server, url):
    """A graceful restart: new Apache children and WSGI daemons, warmed up."""
    server.graceful()
    for path in (url, PLAIN):
        wrk(server, path, 1)


def daemon_pids(server):
    """The WSGI daemon processes of this Apache (children named by display-name)."""
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(server.process.pid)],
                         capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if line.split()[1].startswith("(wsgi:")]


MIX_LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


def kill_and_probe(server, limit=20):
    """kill -9 every daemon process, then start a probe of an app URL every 50 ms.

    Returns the pids, ``after``: seconds from the kill to the first answer of
    a probe started after it (the app serving again), and ``first``: when the
    probe started at the kill itself got its answer (mod_wsgi holds such
    requests and retries the daemon's socket with a growing back-off).
    """
    pids = daemon_pids(server)
    killed_at = time.monotonic()
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    answers, threads = [], []

    def probe(started):
        try:
            status = server.request("/search?q=probe", retry=False, timeout=10).status
        except OSError:
            status = None
        answers.append((started, time.monotonic(), status))

    while time.monotonic() < killed_at + limit and len(threads) < limit * 20:
        started = time.monotonic()
        thread = threading.Thread(target=probe, args=(started,))
        thread.start()
        threads.append(thread)
        if any(status == 200 for _, _, status in answers):
            break
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    good = [done - killed_at for _, done, status in answers if status == 200]
    first = [done - killed_at for started, done, status in answers if started == min(a[0] for a in answers)]
    return {"pids": pids, "after": min(good) if good else None,
            "first": first[0] if first else None,
            "probe_failures": sum(1 for *_, status in answers if status != 200)}


def kill_run(server, url, base, seconds):
    """Load on a mix; kill -9 the daemon mid-run; (wrk result, seconds until the app answered again)."""
    mix = [url, "/", "/blog", "/feed.xml", "/search?q=post", "/blog?page=2", "/search?q=words",
           "/blog?page=3", "/no/such/page"]
    result, recovered = load_with_a_kill(server, base / "mix.lua", mix, seconds)
    return result, recovered, len(mix), sum(1 for p in mix if p.startswith(("/search", "/blog?", "/no/")))


def load_with_a_kill(server, script, paths, seconds):
    """wrk on ``paths`` (round robin) for ``seconds``, the daemon killed half-way:
    (wrk result, what :func:`kill_and_probe` saw)."""
    script.write_text(MIX_LUA % ", ".join(f'"{p}"' for p in paths))
    recovered = {}

    def killer():
        time.sleep(seconds / 2)
        recovered.update(kill_and_probe(server))

    thread = threading.Thread(target=killer)
    thread.start()
    result = wrk(server, "/", seconds, connections=32, script=script)
    thread.join()
    return result, recovered


def hostile_run(server, project, deadline):
    """(count, 5xx answers, answers outside what may be served)."""
    allowed = set()
    for folder in (project / "build", project / "static"):
        for path in folder.resolve().rglob("*"):
            if path.is_file():
                allowed.add(path.read_bytes())
    secrets = [b"[core]", b"def create_app", b"Flask==", b"home = ", b"root:x:0:0",
               b"#!/usr/bin/env bash", b"SITE_URL = "]
    urls = hostile_urls()
    fives, outside, count = [], [], 0
    for url in urls:
        if time.monotonic() > deadline:
            break
        count += 1
        status, body, ctype = raw_get(server.port, url)
        if status is None or status >= 500:
            fives.append((url, status))
            continue
        if any(secret in body for secret in secrets):
            outside.append((url, status, "secret"))
        elif status == 200 and body not in allowed and not (
                ctype.startswith("text/html") and b"<html" in body and b'rel="canonical"' in body):
            outside.append((url, status, ctype))
    return count, fives, outside


def raw_get(port, target):
    """Send ``GET target`` as raw bytes (no client-side checks); (status, body, content type)."""
    request = b"GET " + target + b" HTTP/1.1\r\nHost: " + DOMAIN.encode() + b"\r\nConnection: close\r\n\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(request)
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None, b"", ""
    head, _, body = data.partition(b"\r\n\r\n")
    found = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    if not found:
        return None, b"", ""
    ctype = re.search(rb"(?im)^content-type:\s*(.+?)\r?$", head)
    if re.search(rb"(?im)^transfer-encoding:\s*chunked", head):
        body = dechunk(body)
    return int(found.group(1)), body, ctype.group(1).decode() if ctype else ""


def dechunk(body):
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        length = int(size.split(b";")[0] or b"0", 16)
        if length == 0:
            break
        out += rest[:length]
        body = rest[length + 2:]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (not the targets' 30 s)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)     # figures as they come, also into a file
    if WRK is None:
        sys.exit("wrk is needed: run tests/system-deps.sh (make bench-serve does)")
    missing = apache_server.missing_tools()
    if missing:
        sys.exit(f"needs {', '.join(missing)}: run tests/system-deps.sh")
    restarts, rounds, seconds, long_run = (1, 2, 2, 8) if args.quick else (3, 8, 2, 30)
    base = Path(tempfile.mkdtemp(prefix="website-bench-serve-"))
    base.chmod(0o755)
    server = None
    try:
        project, venv, url = prepare(base)
        cpu, wall = no_op_cost(project, "--if-changed")
        print(f"timer run with nothing to do, {POSTS} posts (build.sh --quiet --if-changed): "
              f"{cpu * 1000:.0f} ms CPU, {wall:.2f} s wall")
        cpu, wall = no_op_cost(project)
        print(f"the same forced through the build (build.sh --quiet, nothing written): "
              f"{cpu * 1000:.0f} ms CPU, {wall:.2f} s wall")
        plain_copy(project)
        server = ApacheServer(base / "apache", project, venv).start()
        print(f"Apache on 127.0.0.1:{server.port}; post page {url}; {load()}")
        for _ in range(2):    # warm the daemon and the page cache
            wrk(server, url, 1)
            wrk(server, "/search?q=post", 1)

        print("\n1. post page vs the same bytes as a static file (wrk -t2 -c32; "
              f"{restarts} x Apache (graceful restarts) x {rounds} alternating rounds of "
              f"{seconds} s each; medians)")
        encodings = (("identity", ()), ("gzip", ("Accept-Encoding: gzip",)))
        runs = {label: [] for label, _ in encodings}
        for generation in range(restarts):
            if generation:
                restart(server, url)
            for label, headers in encodings:
                runs[label].append(ratio_rounds(server, url, headers, rounds, seconds))
        for label, _ in encodings:
            (page, page_cpu), (plain, plain_cpu) = (
                medians([sample for run in runs[label] for sample in run[path]])
                for path in (url, PLAIN))
            ratio = page / plain
            print(f"   {label:8} page {page:9.0f} req/s   file {plain:9.0f} req/s   ratio {ratio:.2f}"
                  f"   (target >= 0.9: {verdict(ratio >= 0.9)})")
            each = [medians(run[url])[0] / medians(run[PLAIN])[0] for run in runs[label]]
            pairs = sorted(p[0] / f[0] for run in runs[label] for p, f in zip(run[url], run[PLAIN]))
            print(f"   {'':8} each Apache: " + ", ".join(f"{r:.2f}" for r in each)
                  + f"; runs side by side: quartiles {quartiles(pairs)}")
            # Steadier than requests/s, which wrk's share of the same cores moves.
            print(f"   {'':8} Apache CPU per request: page {page_cpu:5.1f} us, file "
                  f"{plain_cpu:5.1f} us   (file/page {plain_cpu / page_cpu:.2f})")
        print(f"   {load()}")

        print(f"\n2. post page at 64 connections for {long_run} s (wrk -t2 -c64 --latency)")
        run = wrk(server, url, long_run, connections=64)
        ok = run["p99"] is not None and run["p99"] < 50 and run["errors"] == 0 and run["non2xx"] == 0
        print(f"   {run['requests']} requests, {run['rps']:.0f} req/s, p50 {run['p50']:.2f} ms, "
              f"p99 {run['p99']:.2f} ms, {run['errors']} errors, {run['non2xx']} non-2xx"
              f"   (target p99 < 50 ms, 0 errors, 0 non-2xx: {verdict(ok)})")
        if run["errors"]:
            print("   wrk: " + " ".join(line.strip() for line in run["raw"].splitlines()
                                        if "Socket errors" in line))
        print(f"   {load()}")

        print(f"\n3. the WSGI daemon killed (kill -9) half-way through {long_run // 2 * 2} s of load "
              "on a mix of built pages and app URLs")
        result, recovered, kinds, app_kinds = kill_run(server, url, base, long_run // 2 * 2)
        failed = result["errors"] + result["non2xx"]
        # /no/such/page is a 404 by design: wrk counts it as non-2xx.
        expected_404 = result["requests"] // kinds
        failed = max(0, failed - expected_404)
        share = failed / result["requests"] * 100
        after = recovered.get("after")
        print(f"   killed pids {recovered.get('pids')}; {result['requests']} requests "
              f"({app_kinds} of {kinds} URLs app-only), {failed} failed = {share:.3f}%"
              f"   (target < 0.5%: {verdict(share < 0.5)})")
        print(f"   app answering again after {after:.2f} s" if after is not None else
              "   app NOT answering again within 20 s", f"  (target < 2 s: {verdict(after is not None and after < 2)})")
        print(f"   a request made at the kill waited {recovered.get('first') or 0:.2f} s for its answer; "
              f"probe answers other than 200: {recovered.get('probe_failures')}; wrk's slowest: "
              + " ".join(line.split()[3] for line in result["raw"].splitlines()
                       if line.split()[:1] == ["Latency"] and "Distribution" not in line))
        app_only = wrk_app_only_kill(server, base, long_run // 2 * 2)
        print(f"   app URLs only, same kill: {app_only}")
        print(f"   {load()}")

        print("\n4. hostile URLs")
        count, fives, outside = hostile_run(server, project, time.monotonic() + 300)
        print(f"   {count} URLs, {len(fives)} answers of 5xx, {len(outside)} answers outside pages and "
              f"static/   (target >= 500, 0, 0: {verdict(count >= 500 and not fives and not outside)})")
        for item in (fives + outside)[:10]:
            print("     ", item)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)


def wrk_app_only_kill(server, base, seconds):
    """The same kill on app-only URLs: what a daemon crash costs the app's own answers."""
    result, recovered = load_with_a_kill(
        server, base / "app.lua", ["/search?q=post", "/blog?page=2", "/search?q=words", "/blog?page=3"],
        seconds)
    failed = result["errors"] + result["non2xx"]
    share = failed / max(1, result["requests"]) * 100
    after = recovered.get("after")
    return (f"{result['requests']} requests, {failed} failed = {share:.3f}%, answering again after "
            + (f"{after:.2f} s" if after is not None else "more than 20 s"))


if __name__ == "__main__":
    main()
