"""Fixtures for driving the page; the driver itself lives in tools/testkit/page_driver.py (the
benchmarks use it too)."""
from __future__ import annotations

import pytest

from tools.testkit import REPO_ROOT

pytest.importorskip("playwright.sync_api")
from tools.testkit.page_driver import App, launch, local_site  # noqa: E402


@pytest.fixture(scope="session")
def site_url():
    if not (REPO_ROOT / "vendor" / "pyodide" / "pyodide.mjs").exists():
        pytest.fail("vendor/ is missing: run tools/setup first (tools/test does)")
    with local_site() as url:
        yield url


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    browser = launch(playwright)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def app(browser, site_url):
    """A ready page shared by a test module; fails if it requested anything off the local server or
    did anything its policy blocks."""
    app = App(browser, site_url).open()
    yield app
    external, blocked = app.external_requests(), app.csp_violations()
    app.close()
    assert not external, f"the page made requests beyond the local server: {external}"
    assert not blocked, f"the Content-Security-Policy blocked what the page does: {blocked}"
