"""The build timer's files, as setup.sh renders them: systemd units and the cron entry."""
import shutil
import subprocess

import pytest

from apache_server import REPO

TIMER = REPO / "deploy" / "timer"


def rendered(name, tmp_path, values=("USER=root", f"PROJECT_DIR={REPO}")):
    path = tmp_path / name
    text = subprocess.run([str(REPO / "deploy" / "apache" / "render.sh"), str(TIMER / f"{name}.in"),
                           *values], capture_output=True, text=True, check=True).stdout
    path.write_text(text)
    return path


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_units_verify(tmp_path):
    service = rendered("website-build.service", tmp_path)
    timer = rendered("website-build.timer", tmp_path, ())
    result = subprocess.run(["systemd-analyze", "verify", str(service), str(timer)],
                            capture_output=True, text=True)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "website-build" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr
    assert f"ExecStart={REPO}/deploy/build.sh --quiet --if-changed" in service.read_text()
    assert "OnCalendar=*-*-* *:*:00" in timer.read_text()
    calendar = subprocess.run(["systemd-analyze", "calendar", "--iterations=2", "*-*-* *:*:00"],
                              capture_output=True, text=True)
    assert calendar.returncode == 0 and "Iter" in calendar.stdout


def test_cron_entry_runs_the_build_every_minute_as_the_owner(tmp_path):
    lines = [line for line in rendered("website-build.cron", tmp_path).read_text().splitlines()
             if line and not line.startswith("#")]
    job = [line for line in lines if not line.split("=")[0].isupper()]
    assert job == [f"* * * * * root {REPO}/deploy/build.sh --quiet --if-changed 2>&1 | logger -t website-build"]
    assert "PATH=/usr/bin:/bin" in lines
