"""Browser fixtures: the sample site on a free local port, Debian's chromium
driven by Playwright, and a summary of measured figures printed after every run.
"""
from pathlib import Path

import pytest

from browser.site_server import CHROMIUM, CHROMIUM_FLAGS, serve_sample_site

_SUMMARY = pytest.StashKey[dict]()


def pytest_configure(config):
    config.stash[_SUMMARY] = {}


def pytest_terminal_summary(terminalreporter, config):
    """Print what the browser tests measured (scores, page weight), in every run."""
    sections = config.stash.get(_SUMMARY, {})
    for title, lines in sections.items():
        terminalreporter.write_sep("-", title)
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def summary(pytestconfig):
    """``summary(section, line)`` adds a line to the figures printed at the end."""
    def add(section, line):
        pytestconfig.stash[_SUMMARY].setdefault(section, []).append(line)
    return add


@pytest.fixture(scope="session")
def site_url(tmp_path_factory):
    """Base URL of the app serving a temporary copy of posts/."""
    with serve_sample_site(tmp_path_factory.mktemp("site")) as url:
        yield url


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run tests/system-deps.sh (make test does)")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium):
    """One headless chromium for the session.

    ``launch`` gives the browser a fresh temporary profile of its own, removed
    on close; each test gets new contexts (cookies, cache, settings) from it.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """``new_page(**context_options)``: a page in a fresh context, closed after the test."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
