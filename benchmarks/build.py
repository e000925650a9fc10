"""How fast ``flask build`` writes the site, on generated posts.

Usage: .venv/bin/python benchmarks/build.py [--posts 1000 10000] [--jobs N]
       (or: make bench-build)

For each number of posts (the same generated posts as ``make bench``), times
the build command as a user runs it, in a fresh process each time (wall
clock, and the CPU time of all its processes, which other load on the
machine disturbs less):
a full build (no previous output, no cache), a rebuild with nothing changed,
and a rebuild after editing one post. Then, on the same posts, the live
app's startup: the first 200 answer after a cold start, and its memory.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from posts import write_posts  # noqa: E402

FLASK = [sys.executable, "-m", "flask", "--app", "website"]

COLD_START = """
import resource, sys, time
start = time.perf_counter()
from website import create_app
app = create_app({"POSTS_DIR": sys.argv[1]})
response = app.test_client().get("/blog/post-1")
assert response.status_code == 200, response.status_code
seconds = time.perf_counter() - start
print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run_build(posts, out, jobs, extra=()):
    """The build command's seconds, CPU seconds, last line and peak memory (MB) per process."""
    env = dict(os.environ, FLASK_POSTS_DIR=str(posts), FLASK_SITE_URL="https://example.com")
    command = FLASK + ["build", "--out", str(out)] + (["--jobs", str(jobs)] if jobs else [])
    measure = [sys.executable, "-c", (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "seconds = time.perf_counter() - start\n"
        "sys.stderr.write(done.stderr)\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "cpu = usage.ru_utime + usage.ru_stime\n"
        "print(seconds, cpu, usage.ru_maxrss, done.returncode, repr(done.stdout.strip()))\n")]
    done = subprocess.run(measure + command + list(extra), cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    seconds, cpu, rss, code, line = done.stdout.split(" ", 4)
    if code != "0":
        raise SystemExit(f"build failed:\n{done.stderr}")
    return float(seconds), float(cpu), eval(line), int(rss) / 1024   # noqa: S307 (our own repr)


def cold_start(posts):
    done = subprocess.run([sys.executable, "-c", COLD_START, str(posts)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    seconds, rss = done.stdout.split()
    return float(seconds), int(rss) / 1024


def bench(count, jobs):
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        posts, out = Path(tmp) / "posts", Path(tmp) / "site" / "build"
        posts.mkdir()
        write_posts(posts, count)
        rows.append((f"full build, {count} posts", *run_build(posts, out, jobs)))
        rows.append(("rebuild, nothing changed", *run_build(posts, out, jobs)))
        edited = posts / "post-5.md"
        edited.write_text(edited.read_text().replace("Some opening words", "Some edited words"))
        rows.append(("rebuild after editing one post", *run_build(posts, out, jobs)))
        start, start_rss = cold_start(posts)
    for label, seconds, cpu, line, rss in rows:
        print(f"{label:<34} {seconds:6.2f} s  (CPU {cpu:6.2f} s, peak {rss:4.0f} MB per process)"
              f"  {line.split(' -> ')[0]}")
    print(f"{'app cold start to first 200':<34} {start:6.2f} s  (peak {start_rss:4.0f} MB)")
    return {label: seconds for label, seconds, *_rest in rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--jobs", type=int, default=None,
                        help="worker processes (default: all cores)")
    parser.add_argument("--json", help="also write the times to this file")
    args = parser.parse_args()
    print(f"flask build, {args.jobs or os.cpu_count()} worker processes")
    results = {}
    for count in args.posts:
        results[count] = bench(count, args.jobs)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
