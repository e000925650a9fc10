"""Lighthouse (npm, pinned in package.json) on the home page and a post,
mobile and desktop: every category at least 95, aiming at 100."""
import json
import subprocess
import tempfile
from pathlib import Path

import pytest

from browser.site_server import CHROMIUM_FLAGS, ROOT

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
MINIMUM = 95
PAGES = {"home": "/", "post": "/blog/self-hosting-a-blog-(part-1)"}


def run_lighthouse(url, preset, chromium):
    if not LIGHTHOUSE.exists():
        pytest.fail(f"{LIGHTHOUSE} is missing: run tests/system-deps.sh (make test does)")
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp:
        report = Path(tmp) / "report.json"
        flags = CHROMIUM_FLAGS + [f"--user-data-dir={Path(tmp) / 'profile'}"]
        command = [str(LIGHTHOUSE), url, f"--chrome-path={chromium}",
                   f"--chrome-flags={' '.join(flags)}", "--output=json",
                   f"--output-path={report}", "--quiet",
                   f"--only-categories={','.join(CATEGORIES)}"]
        if preset == "desktop":
            command.append("--preset=desktop")
        done = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=ROOT)
        assert done.returncode == 0, f"lighthouse failed:\n{done.stderr[-3000:]}"
        return json.loads(report.read_text())


def shortfalls(result):
    """The scored audits that cost points, by category: 'id (score)'."""
    lost = {}
    for name, category in result["categories"].items():
        for ref in category["auditRefs"]:
            audit = result["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                lost.setdefault(name, []).append(f"{audit['id']} ({audit['score']:.2f}): "
                                                 f"{audit['title']}")
    return lost


@pytest.mark.parametrize("preset", ["mobile", "desktop"])
@pytest.mark.parametrize("page", PAGES)
def test_lighthouse_scores(site_url, chromium, summary, page, preset):
    result = run_lighthouse(site_url + PAGES[page], preset, chromium)
    assert not result.get("runtimeError"), result.get("runtimeError")
    scores = {name: result["categories"][name]["score"] for name in CATEGORIES}
    shown = {name: "n/a" if score is None else round(score * 100) for name, score in scores.items()}
    summary("Lighthouse " + result["lighthouseVersion"],
            f"{page:<5} {preset:<8} " + "  ".join(f"{k} {v}" for k, v in shown.items()))
    lost = shortfalls(result)
    for name, audits in lost.items():
        summary("Lighthouse " + result["lighthouseVersion"],
                f"      {page} {preset} {name}: " + "; ".join(audits))
    low = {name: value for name, value in shown.items() if value == "n/a" or value < MINIMUM}
    assert not low, f"below {MINIMUM}: {low}; audits losing points: {lost}"
