"""shellcheck on every shell script in the repository."""
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def project_files():
    """Files of the project: tracked, or new and not git-ignored (no venvs, no node_modules)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=REPO, capture_output=True, check=True).stdout
    return sorted(REPO / name for name in listed.decode().split("\0") if name)


def shell_scripts():
    found = []
    for path in project_files():
        if not path.is_file():
            continue
        if path.suffix == ".sh":
            found.append(path)
            continue
        with open(path, "rb") as handle:
            first = handle.readline(200)
        if first.startswith(b"#!") and (b"bash" in first or first.rstrip().endswith(b"/sh")):
            found.append(path)
    return found


SCRIPTS = shell_scripts()


def test_the_known_scripts_are_found():
    names = {str(p.relative_to(REPO)) for p in SCRIPTS}
    assert {"setup.sh", "deploy/update.sh", "deploy/apache/render.sh", ".ci/run",
            "deploy/aws/provision.sh", "deploy/aws/teardown.sh",
            "deploy/aws/provision-cdn.sh", "deploy/aws/publish.sh"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_shellcheck(script):
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is missing: run tests/system-deps.sh (make test does)")
    result = subprocess.run(["shellcheck", "--external-sources", str(script)],
                            capture_output=True, text=True, cwd=script.parent)
    assert result.returncode == 0, result.stdout + result.stderr
