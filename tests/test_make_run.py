"""`make run` for real: the dev server restarts when the settings files are created or edited.

A copy of the project is served by `make run` (the project's own venv, a
free port); the test writes the files and waits for the pages to change.
"""
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import apache_server
from apache_server import REPO

VENV = REPO / ".venv"


def get(port, path="/"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.read().decode("utf-8")


def wait_for(port, text, timeout=30):
    """The home page once it contains ``text``, or fail with what it showed."""
    deadline = time.monotonic() + timeout
    page = ""
    while time.monotonic() < deadline:
        try:
            page = get(port)
            if text in page:
                return page
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never showed up; last page:\n{page[:500]}")


@pytest.fixture
def dev_server(tmp_path):
    """(project copy, port, log file) with `make run` serving the copy."""
    if not (VENV / "bin" / "flask").exists():
        pytest.fail("no .venv: run make dev-venv (make test does)")
    project = apache_server.copy_project(tmp_path / "website")
    assert not (project / "instance").exists()
    port = apache_server.free_port()
    log = tmp_path / "make-run.log"
    with open(log, "wb") as out:
        # -o venv: the project's venv is already made; don't let make touch it.
        process = subprocess.Popen(
            ["make", "--no-print-directory", "-o", "venv", "run", f"VENV={VENV}", f"PORT={port}"],
            cwd=project, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            # The dev server's own address: a private SITE_URL it must stay quiet about.
            env={**os.environ, "PYTHONUNBUFFERED": "1",
                 "FLASK_SITE_URL": f"http://127.0.0.1:{port}"})
    try:
        wait_for(port, "<html")
        yield project, port, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def restarts(log):
    return log.read_text(errors="replace").count("Restarting with")


def test_creating_and_editing_the_settings_files_restarts_the_dev_server(dev_server):
    project, port, log = dev_server
    assert "watchdog" in log.read_text(), log.read_text()
    assert "not a public address" not in log.read_text()
    first = restarts(log)
    assert first == 1

    config = project / "instance" / "config.py"          # did not exist at start
    config.write_text('SITE_TITLE = "Created while running"\n')
    wait_for(port, "<title>Created while running</title>")
    assert f"Detected change in '{config}'" in log.read_text()
    assert restarts(log) == first + 1

    config.write_text('SITE_TITLE = "Edited while running"\n')
    wait_for(port, "<title>Edited while running</title>")

    settings = project / "site.yaml"
    settings.write_text(settings.read_text().replace("author: Jane Doe", "author: Ana Lima"))
    page = wait_for(port, "Ana Lima. Written in Markdown")
    assert '<meta name="author" content="Ana Lima">' in page
    assert restarts(log) >= first + 3


def test_a_post_edit_does_not_restart_it(dev_server):
    """Posts are re-read on the next request; only settings and code restart the server."""
    project, port, log = dev_server
    before = restarts(log)
    post = next((project / "posts").glob("*.md"))
    post.write_text(post.read_text() + "\nOne more line.\n")
    time.sleep(2)
    assert restarts(log) == before
    assert get(port).startswith("<!doctype html>")
