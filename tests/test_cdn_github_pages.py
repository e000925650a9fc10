"""The GitHub Pages workflow we ship (deploy/github-pages.yml): its shape, its scripts run.

The workflow's own shell steps are taken out of the YAML and run with bash:
the domain-root check on sample Pages URLs, and the build step on test posts
(the folder it hands to upload-pages-artifact must hold the whole site as
plain files). Each step also passes shellcheck.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cdn_site import build_env, built_files, write_posts

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "deploy" / "github-pages.yml"


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def steps(workflow, job="build"):
    return workflow["jobs"][job]["steps"]


def step(workflow, name_start):
    found = [s for s in steps(workflow) if s.get("name", "").startswith(name_start)]
    assert len(found) == 1, name_start
    return found[0]


def test_runs_on_pushes_to_main_and_by_hand_with_least_privilege(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare on as true
    assert triggers["push"] == {"branches": ["main"]}
    assert "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_builds_strictly_with_the_pages_url_then_deploys(workflow):
    uses = [s.get("uses", "").split("@")[0] for s in steps(workflow)]
    assert uses[:2] == ["actions/checkout", "actions/setup-python"]
    assert "actions/configure-pages" in uses and uses[-1] == "actions/upload-pages-artifact"
    build = step(workflow, "Build")
    assert "flask --app website build --strict --out build" in build["run"]
    assert build["env"]["FLASK_SITE_URL"] == "${{ steps.pages.outputs.base_url }}"
    assert steps(workflow)[-1]["with"]["path"] == "site"
    assert workflow["jobs"]["deploy"]["needs"] == "build"
    assert [s["uses"].split("@")[0] for s in steps(workflow, "deploy")] == ["actions/deploy-pages"]
    for s in steps(workflow) + steps(workflow, "deploy"):
        if "uses" in s:
            assert "@v" in s["uses"], f"pin a major version: {s['uses']}"


@pytest.mark.parametrize("base_url, ok", [
    ("https://example.com", True),
    ("https://example.com/", True),
    ("https://jane.github.io", True),
    ("https://jane.github.io/website", False),
    ("https://jane.github.io/website/", False),
])
def test_a_project_site_under_a_path_is_refused(workflow, base_url, ok):
    check = step(workflow, "Check that the site is at the root")
    result = subprocess.run(["bash", "-e", "-c", check["run"]], env={
        **os.environ, "BASE_URL": base_url}, capture_output=True, text=True, check=False)
    assert (result.returncode == 0) == ok, result.stdout
    if not ok:
        assert "::error::" in result.stdout and "custom domain" in result.stdout


def test_the_build_step_leaves_the_whole_site_as_plain_files(workflow, tmp_path):
    posts = write_posts(tmp_path / "posts")
    work = tmp_path / "checkout"
    work.mkdir()
    flask_dir = str(Path(sys.executable).parent)
    env = {**build_env(posts), "PATH": f"{flask_dir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT), "FLASK_SITE_URL": "https://example.com"}
    result = subprocess.run(["bash", "-e", "-c", step(workflow, "Build")["run"]], cwd=work,
                            env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    site = work / "site"
    assert not site.is_symlink()
    assert not [p for p in site.rglob("*") if p.is_symlink()]
    assert built_files(site) == built_files((work / "build").resolve())
    for name in ("index.html", "blog.html", "blog/index.html", "404.html",
                 "blog/slug-with-(parens).html", "feed.xml"):
        assert (site / name).is_file(), name


def test_the_steps_pass_shellcheck(workflow, tmp_path):
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.fail("shellcheck is not installed; run tests/system-deps.sh (make test does)")
    for number, s in enumerate(steps(workflow)):
        if "run" not in s:
            continue
        script = tmp_path / f"step-{number}.sh"
        script.write_text("#!/usr/bin/env bash\n" + s["run"])
        result = subprocess.run([shellcheck, str(script)], capture_output=True, text=True,
                                check=False)
        assert result.returncode == 0, f"{s.get('name')}:\n{result.stdout}"
