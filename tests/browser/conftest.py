"""Headless Debian Chromium driving the page served from the repo root on a local port.

Every request the page (or its workers) makes is recorded; a module's page fails at teardown if
any went anywhere but the local server. The resolver rule makes sure nothing could leave anyway."""
from __future__ import annotations

import importlib.util
import json
import shutil
import threading
from pathlib import Path

import pytest
from helpers import REPO_ROOT

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
READY_TIMEOUT_MS = 120_000
PHOTO_TIMEOUT_MS = 300_000
# Long main-thread tasks, recorded from the first moment of every page.
LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longTasks.push({start: e.startTime, duration: e.duration});
}).observe({type: "longtask", buffered: true});
"""


def _load_serve_module():
    spec = importlib.util.spec_from_file_location("serve", REPO_ROOT / "tools" / "serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def site_url():
    if not (REPO_ROOT / "vendor" / "pyodide" / "pyodide.mjs").exists():
        pytest.fail("vendor/ is missing: run tools/setup first (tools/test does)")
    server = _load_serve_module().make_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class App:
    """One tab of the app, with what it requested and logged."""

    def __init__(self, browser, site_url: str):
        self.site_url = site_url
        self.context = browser.new_context(service_workers="block", accept_downloads=True)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.context.add_init_script(LONG_TASKS)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self) -> "App":
        self.page.goto(self.site_url)
        self.page.wait_for_function("document.body.dataset.app !== 'loading'", timeout=READY_TIMEOUT_MS)
        state = self.page.evaluate("document.body.dataset.app")
        assert state == "ready", f"app failed to start: {self.page.text_content('#load-status')}"
        return self

    def external_requests(self) -> list[str]:
        return [u for u in self.requests if not (u.startswith(self.site_url) or u.startswith(("data:", "blob:")))]

    def results(self):
        return self.page.locator(".result")

    def upload(self, paths) -> None:
        """Choose files through the file input and wait until each has finished (done or error)."""
        before = self.results().count()
        self.page.set_input_files("input[type=file]", [str(p) for p in paths])
        self.wait_settled(before + len(paths))

    def wait_settled(self, count: int) -> None:
        self.page.wait_for_function(
            "n => document.querySelectorAll('.result[data-state=done], .result[data-state=error]').length >= n "
            "&& !document.querySelector('.result[data-state=working], .result[data-state=queued]')",
            arg=count, timeout=PHOTO_TIMEOUT_MS)

    def result(self, name: str):
        return self.page.locator(".result", has=self.page.locator(".name", has_text=name)).first

    def data(self, result, key: str):
        return json.loads(result.get_attribute(f"data-{key}"))

    def download(self, result) -> tuple[str, bytes]:
        with self.page.expect_download() as info:
            result.locator("a[download]").click()
        download = info.value
        return download.suggested_filename, Path(download.path()).read_bytes()

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def app(browser, site_url):
    """A ready page shared by a test module; fails if it requested anything off the local server."""
    app = App(browser, site_url).open()
    yield app
    external = app.external_requests()
    app.close()
    assert not external, f"the page made requests beyond the local server: {external}"
