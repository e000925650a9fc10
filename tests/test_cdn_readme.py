"""The README's instructions for the CDN and other hosts agree with the kit itself.

The Netlify snippet is copied by hand into a fork, so its headers must stay
those of the Apache site, and its build command the workflow's.
"""
import re
from pathlib import Path

import yaml

from test_cdn_template import apache_headers

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def netlify_toml():
    blocks = re.findall(r"```toml\n(.*?)```", README, re.S)
    assert len(blocks) == 1, "one netlify.toml in the README"
    return blocks[0]


def test_netlify_headers_are_the_apache_sites():
    text = netlify_toml()
    first = text.split('for = "/*"', 1)[1].split("[[headers]]", 1)[0]
    headers = dict(re.findall(r'^\s+([A-Za-z-]+) = "(.*)"$', first, re.M))
    assert headers == apache_headers()


def test_netlify_builds_like_the_pages_workflow():
    text = netlify_toml()
    command = re.search(r'^\s*command = "(.*)"$', text, re.M).group(1)
    workflow = yaml.safe_load((ROOT / "deploy" / "github-pages.yml").read_text())
    build, = [s for s in workflow["jobs"]["build"]["steps"]
              if s.get("name", "").startswith("Build")]
    for line in build["run"].strip().splitlines():
        assert line in command
    assert re.search(r'^\s*publish = "site"$', text, re.M)
    assert "cp -RL build site" in command


def test_the_readme_names_each_scripts_flags():
    section = README.split("## Host on a CDN", 1)[1].split("## Troubleshooting", 1)[0]
    for flag in ("--region", "--stack-name", "--price-class", "--dry-run", "--help",
                 "--bucket", "--distribution-id", "--out", "--max-paths", "--yes"):
        assert flag in section, flag
    for command in ("deploy/aws/provision-cdn.sh --domain example.com --zone-id",
                    "make publish", "deploy/aws/teardown-cdn.sh", "make cdn-template"):
        assert command in section, command


def test_netlify_sends_the_search_exception_on_its_two_paths():
    from website.build.headers import SEARCH_CONTENT_SECURITY_POLICY, SEARCH_POLICY_PATHS
    text = netlify_toml()
    rules = dict(re.findall(r'for = "([^"]+)"\n\s+\[headers.values\]\n'
                            r'\s+Content-Security-Policy = "([^"]+)"', text))
    assert {path: rules.get(path) for path in SEARCH_POLICY_PATHS} == {
        path: SEARCH_CONTENT_SECURITY_POLICY for path in SEARCH_POLICY_PATHS}
    # After the rule for every path: Netlify lets the later rule's value win.
    assert text.index('for = "/*"') < min(text.index(f'for = "{p}"') for p in SEARCH_POLICY_PATHS)
