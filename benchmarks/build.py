"""How fast ``flask build`` writes the site, on generated posts, beside Pelican.

Usage: .venv/bin/python benchmarks/build.py [--posts 1000 10000] [--jobs N]
       [--repeat N] [--no-pelican]          (or: make bench-build)

For each number of posts (the same generated posts as ``make bench``), times
each command as a user runs it, in a fresh process each time (wall clock,
and the CPU time of all its processes, which other load on the machine
disturbs less). Full builds, side by side, each into a new folder (no
previous output, no cache): ours, ours without Pagefind (for what the search
index adds), and Pelican 4.12's on the same posts in its format (one
process, its cache off; see pelican_peer.py), and Pelican followed by the
same Pagefind over its posts (the same site with the same search); with
``--repeat N``, N rounds of the four, Pelican going first every other
round, the fastest of each counting (and the rebuilds and the cold start
below N times each too). Nothing is deleted before the last size is
timed, and our package is compiled to bytecode first, as Pelican's is. The
ratio of our full build to Pelican's (target: at most 0.5), then the same
like for like: both with a search index, and neither; then the least ratio
our build's CPU time allows on its cores (that time spread evenly over
them). Then, on our first full build's output, a rebuild with nothing
changed and a rebuild after editing one post, each line ending with what
the search index (Pagefind) did and how long it took. Last, the live
app's startup on the same posts: the first 200 answer after a cold start, and
its memory then and once the search index (built in the background) is ready,
both on the first start ever (every post read from its file) and on a restart
(the posts as the last process read them, from its cache folder), and the
first start ever on the same posts with YAML front matter (as ``flask
new-post`` writes them) instead of bare ``key: value`` headers.
"""
import argparse
import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import pelican_peer  # noqa: E402
from posts import post_specs, write_posts, write_yaml_posts  # noqa: E402
from website.build.builder import cores  # noqa: E402 (the cores a build runs on by default)

FLASK = [sys.executable, "-m", "flask", "--app", "website"]
NO_SEARCH = "full build without Pagefind"
PELICAN_SEARCH = "Pelican 4.12, then Pagefind"

COLD_START = """
import resource, sys, time
start = time.perf_counter()
from website import create_app
app = create_app({"POSTS_DIR": sys.argv[1], "CACHE_DIR": sys.argv[2]})
response = app.test_client().get("/blog/post-1")
assert response.status_code == 200, response.status_code
seconds = time.perf_counter() - start
first = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
# The search index is built in the background from the first request on.
assert app.extensions["search"].wait_until_built(120)
print(seconds, first, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measured(command, cwd, env=None):
    """Run ``command``: its wall seconds, CPU seconds (all its processes), peak MB, stdout."""
    measure = [sys.executable, "-c", (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "seconds = time.perf_counter() - start\n"
        "sys.stderr.write(done.stderr)\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "cpu = usage.ru_utime + usage.ru_stime\n"
        "print(seconds, cpu, usage.ru_maxrss, done.returncode, repr(done.stdout.strip()))\n")]
    done = subprocess.run(measure + list(command), cwd=cwd, env=env, capture_output=True,
                          text=True, check=True)
    seconds, cpu, rss, code, line = done.stdout.split(" ", 4)
    if code != "0":
        raise SystemExit(f"{command[0]} failed:\n{done.stderr[-3000:]}")
    return float(seconds), float(cpu), int(rss) / 1024, eval(line)  # noqa: S307 (our own repr)


def run_build(posts, out, jobs, extra=(), search=True):
    """The build command's seconds, CPU seconds, last line and peak memory (MB) per process.

    :param search: False hides Pagefind from the build (it then makes no search index).
    """
    env = dict(os.environ, FLASK_POSTS_DIR=str(posts), FLASK_SITE_URL="https://example.com")
    if not search:
        env["PAGEFIND_BINARY_PATH"] = str(Path(out).parent / "no-pagefind-here")
    command = FLASK + ["build", "--out", str(out)] + (["--jobs", str(jobs)] if jobs else [])
    seconds, cpu, rss, line = measured(command + list(extra), ROOT, env)
    return seconds, cpu, line, rss


def run_pelican(folder, output, search=False):
    """One full Pelican build of ``folder`` into ``output`` (a new folder): seconds,
    CPU seconds, files written, peak MB.

    :param search: then the same search index as ours (Pagefind over its posts).
    """
    command = (pelican_peer.command_with_search(pagefind_binary(), output) if search
               else pelican_peer.command(output))
    seconds, cpu, rss, _line = measured(command, folder)
    return seconds, cpu, f"{pelican_peer.output_count(folder, output)} files written", rss


def pagefind_binary():
    """The Pagefind our build runs (the ``pagefind`` package's binary)."""
    from pagefind.service import get_executable
    return str(get_executable())


def cold_start(posts, cache):
    """The app's start on ``posts``, keeping what it reads in the folder ``cache``."""
    done = subprocess.run([sys.executable, "-c", COLD_START, str(posts), str(cache)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    seconds, rss, indexed_rss = done.stdout.split()
    return float(seconds), int(rss) / 1024, int(indexed_rss) / 1024


def best(runs):
    """The run with the least wall time (the one least disturbed by other load)."""
    return min(runs, key=lambda row: row[0])


def bench(count, jobs, scratch, repeat=1, pelican=True):
    """Time everything on ``count`` posts, in a new folder of ``scratch``."""
    rows = []
    tmp = Path(scratch) / f"{count}-posts"
    tmp.mkdir()
    posts = tmp / "posts"
    posts.mkdir()
    write_posts(posts, count)
    peer = tmp / "pelican"
    if pelican:
        pelican_peer.write_site(peer, post_specs(count))
    # Every full build, of either engine, writes into a new folder, and
    # nothing is deleted until the end: a file system makes new files
    # slower for a while after many were deleted (ext4 skips recently
    # freed inodes), which would charge one engine for the other's cleanup.
    fulls, bares, peers, searching_peers = [], [], [], []
    # Each round, the other engine goes first: whatever the machine did just
    # before (a package install, another round's cleanup) weighs on both alike.

    def ours(run):
        fulls.append(run_build(posts, tmp / f"full-{run}" / "build", jobs))
        bares.append(run_build(posts, tmp / f"bare-{run}" / "build", jobs, search=False))

    def theirs(run):
        if pelican:
            peers.append(run_pelican(peer, f"output-{run}"))
            searching_peers.append(run_pelican(peer, f"searched-{run}", search=True))

    for run in range(repeat):
        for engine in ((ours, theirs) if run % 2 == 0 else (theirs, ours)):
            engine(run)
    rows.append((f"full build, {count} posts", *best(fulls)))
    # The rebuilds work on the first full build's output and cache.
    out = tmp / "full-0" / "build"
    rows.append(("rebuild, nothing changed",
                 *best(run_build(posts, out, jobs) for _ in range(repeat))))
    edits = []
    for run in range(repeat):       # each time another post edited, the fastest counting
        edited = posts / f"post-{5 + run}.md"
        edited.write_text(edited.read_text().replace("Some opening words",
                                                     "Some edited words"))
        edits.append(run_build(posts, out, jobs))
    rows.append(("rebuild after editing one post", *best(edits)))
    rows.append((NO_SEARCH, *best(bares)))
    if pelican:
        rows.append((PELICAN_SEARCH, *best(searching_peers)))
        rows.append((f"Pelican 4.12 full build, {count}", *best(peers)))
    cache = tmp / "app-cache"
    first_start = cold_start(posts, cache)      # reads every post, and keeps them
    restart = min(cold_start(posts, cache) for _ in range(repeat))
    # The same posts with YAML front matter (what new-post writes): read by a YAML parser.
    yaml_posts = tmp / "yaml-posts"
    yaml_posts.mkdir()
    write_yaml_posts(yaml_posts, count)
    yaml_start = min(cold_start(yaml_posts, tmp / f"yaml-cache-{run}") for run in range(repeat))
    for label, seconds, cpu, line, rss in rows:
        print(f"{label:<34} {seconds:6.2f} s  (CPU {cpu:6.2f} s, peak {rss:4.0f} MB per process)"
              f"  {line.split(' -> ')[0]}")
    _, wall, cpu, *_ = rows[0]
    _, bare_wall, bare_cpu, *_ = next(row for row in rows if row[0] == NO_SEARCH)
    print(f"{'search index adds to a full build':<34} {wall - bare_wall:6.2f} s  "
          f"(CPU {cpu - bare_cpu:6.2f} s, {(cpu - bare_cpu) / bare_cpu:.0%} of the CPU time)")
    if pelican:
        ratio = rows[0][1] / rows[-1][1]
        verdict = "met" if ratio <= 0.5 else "NOT met"
        print(f"{'full build / Pelican full build':<34} {ratio:6.2f}    (target at most 0.50: {verdict})")
        # Like for like: the same site with a search index, and the same site without.
        peer_search = next(row for row in rows if row[0] == PELICAN_SEARCH)[1]
        print(f"{'  the same, both with search':<34} {wall / peer_search:6.2f}    "
              "(ours / Pelican then Pagefind over its posts)")
        print(f"{'  the same, neither with search':<34} {bare_wall / rows[-1][1]:6.2f}    "
              "(ours without Pagefind / Pelican)")
        # Spread perfectly over the cores, our build's CPU time still takes at
        # least this long: no build doing the same work can have a lower ratio.
        used = jobs or cores()
        print(f"{'  least possible for this CPU time':<34} {cpu / used / rows[-1][1]:6.2f}    "
              f"(ours: {cpu:.2f} CPU-s over {used} core{'s' * (used != 1)}, "
              f"against Pelican's {rows[-1][1]:.2f} s)")
    for label, (start, start_rss, indexed_rss) in (("app's first start to first 200", first_start),
                                                    ("app restart to first 200", restart),
                                                    ("  first start, YAML headers",
                                                     yaml_start)):
        print(f"{label:<34} {start:6.2f} s  (peak {start_rss:4.0f} MB; "
              f"{indexed_rss:4.0f} MB once the search index is built)")
    return {label: seconds for label, seconds, *_rest in rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--jobs", type=int, default=None,
                        help="worker processes (default: all cores)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each measurement; the fastest counts (default 1)")
    parser.add_argument("--no-pelican", dest="pelican", action="store_false",
                        help="time our build alone")
    parser.add_argument("--json", help="also write the times to this file")
    args = parser.parse_args()
    if args.pelican:
        pelican_peer.ensure_venv()
    # Both engines start from compiled bytecode, as on a user's machine: pip
    # compiled Pelican's on install, and Python compiles ours on its first
    # run, unless told not to keep it (PYTHONDONTWRITEBYTECODE, as some
    # containers set); then every command would compile it again.
    compileall.compile_dir(ROOT / "website", quiet=1)
    print(f"flask build, {args.jobs or cores()} worker processes; "
          f"load average {os.getloadavg()[0]:.1f}")
    results = {}
    # One scratch folder for every size, removed at the very end (see bench).
    with tempfile.TemporaryDirectory(prefix="bench-build-") as scratch:
        for count in args.posts:
            results[count] = bench(count, args.jobs, scratch, args.repeat, args.pelican)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
