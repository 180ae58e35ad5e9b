"""The page must not reach beyond the local server; the guard itself must be able to fail."""
from __future__ import annotations

from tools.testkit import MEDIA
from tools.testkit.page_driver import App, local_site


def test_nothing_is_requested_beyond_the_local_server(browser, site_url):
    app = App(browser, site_url).open()
    try:
        app.upload([MEDIA / "dashcam-03.png"])
        assert app.result("dashcam-03.png").get_attribute("data-state") == "done"
        assert len(app.requests) > 10, "requests are being recorded"
        assert app.external_requests() == []
    finally:
        app.close()


def test_the_guard_sees_a_request_to_another_host(browser, site_url):
    """From a page without the site's policy (which would block the request: tests/browser/test_security.py)."""
    app = App(browser, site_url)
    try:
        app.page.goto("about:blank")
        app.page.evaluate("fetch('https://cdn.example.org/pyodide.mjs').catch(() => null)")
        app.page.wait_for_timeout(200)
        assert app.external_requests() == ["https://cdn.example.org/pyodide.mjs"]
    finally:
        app.close()


def test_without_isolation_headers_the_service_worker_isolates_the_page(browser):
    """GitHub Pages sends no COOP/COEP: the site's service worker must add them (after one reload)."""
    with local_site(isolation=False) as url:
        app = App(browser, url, service_workers="allow")
        try:
            app.page.goto(url)
            # The first load may get ready un-isolated (one thread) before mini-coi's reload: wait
            # for the isolated page rather than the first "ready".
            app.page.wait_for_function("() => crossOriginIsolated && document.body.dataset.app === 'ready'",
                                       timeout=120_000)
            assert app.page.evaluate("crossOriginIsolated")
            assert app.external_requests() == []
            assert app.csp_violations() == []
        finally:
            app.close()
