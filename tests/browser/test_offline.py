"""Offline after the first visit (service-worker.js): the first visit downloads what the page uses on its
detector backend into a cache (the status counts its bytes), later visits start from it with no server at
all, a file it left out is cached once the page fetches it, and a new release replaces it. Each test has a
server and a browser context of its own (service workers allowed; WASM: the GPU is off)."""
from __future__ import annotations

import re

from tools import site_files
from tools.testkit import MEDIA, media
from tools.testkit.page_driver import App, local_site

# Every text the loading status shows, from the first moment of every page.
LOAD_TEXTS = """
window.__loadTexts = [];
addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("load-status");
  new MutationObserver(() => __loadTexts.push(status.textContent))
    .observe(status, { childList: true, characterData: true, subtree: true });
});
"""
DOWNLOAD = re.compile(r"Downloading the app for offline use… (\d+\.\d) of (\d+\.\d) MB")


def first_visit(browser, url: str) -> App:
    app = App(browser, url, service_workers="allow")
    app.context.add_init_script(LOAD_TEXTS)
    app.open()
    assert app.page.evaluate("document.body.dataset.offline") == "yes"
    return app


def cache_names(app: App) -> list[str]:
    return app.page.evaluate("caches.keys()")


def cached_paths(app: App) -> set[str]:
    return set(app.page.evaluate("""async () => {
      const cache = await caches.open((await caches.keys())[0]);
      return (await cache.keys()).map((r) => r.url.slice(location.origin.length + 1));
    }"""))


def test_the_first_visit_counts_the_bytes_then_the_app_runs_with_the_server_gone(browser):
    manifest = site_files.manifest()
    precached = manifest["precache"]["wasm"]
    left_out = next(p for p in manifest["files"] if p not in precached and p.endswith(".js"))   # the page never loads it
    with local_site() as url:
        app = first_visit(browser, url)
        assert app.page.evaluate("p => fetch(p).then((r) => r.ok)", left_out)     # fetched online once
        app.page.wait_for_function("p => caches.match(p).then(Boolean)", arg=left_out, timeout=10_000)
    try:
        total = sum(manifest["files"][path][0] for path in precached)
        shown = [DOWNLOAD.fullmatch(t).groups() for t in app.page.evaluate("__loadTexts") if DOWNLOAD.fullmatch(t)]
        assert shown and {t for _, t in shown} == {f"{total / 1e6:.1f}"}, shown
        assert shown[-1][0] == shown[-1][1], "the last report is the whole release"
        assert [float(done) for done, _ in shown] == sorted(float(done) for done, _ in shown)
        assert cache_names(app) == [f"plateblur-{manifest['version']}"]
        assert cached_paths(app) == {*precached, left_out}, "a WASM visit keeps what it uses, not the WebGPU runtime"
        assert "vendor/ort/ort-wasm-simd-threaded.asyncify.wasm" not in cached_paths(app)

        app.context.set_offline(True)          # and the server has stopped: the port refuses connections
        app.page.reload()
        app.wait_ready()
        assert app.page.evaluate("crossOriginIsolated")
        clip = media.ensure_media() / "pan.mp4"
        app.upload([MEDIA / "dashcam-03.png", clip])
        for name in ("dashcam-03.png", "pan.mp4"):
            result = app.result(name)
            assert result.get_attribute("data-state") == "done", result.text_content()
            assert app.download(result)[1], name
        assert app.page.evaluate("p => fetch(p).then((r) => r.ok)", left_out), "kept once fetched"
        assert app.external_requests() == [] and app.csp_violations() == []
    finally:
        app.close()


def test_without_an_offline_copy_the_page_says_it_cannot_start(browser):
    """Service workers blocked (as in some private modes) and the connection gone once the page is in."""
    with local_site() as url:
        app = App(browser, url)
        app.page.route("**/pyscript.toml", lambda route: (app.context.set_offline(True), route.continue_()))
        app.page.goto(url)
        app.page.wait_for_function("() => document.body.dataset.app !== 'loading'", timeout=60_000)
        assert app.page.evaluate("document.body.dataset.app") == "error"
        assert app.page.text_content("#load-status") == (
            "Could not start the anonymiser: no connection, and this browser holds no offline copy of the app "
            "yet (it keeps one once the app has been opened online). Reload the page to try again.")
        app.close()


def test_a_changed_file_reaches_the_page_after_an_update(browser, tmp_path):
    site_files.export(tmp_path)
    style = tmp_path / "web" / "style.css"
    read_style = "fetch('web/style.css').then((r) => r.text())"
    with local_site(root=tmp_path) as url:
        app = first_visit(browser, url)
        try:
            old = site_files.manifest(tmp_path)["version"]
            assert cache_names(app) == [f"plateblur-{old}"]
            style.write_text(style.read_text() + "\n/* release 2 */\n")
            new = site_files.manifest(tmp_path)["version"]
            assert new != old
            assert not app.page.evaluate(read_style).endswith("/* release 2 */\n"), "served from the cache"

            app.page.reload()                  # the browser checks the worker and its manifest: a new release
            app.wait_ready()
            app.page.wait_for_function("v => caches.keys().then((k) => k.join() === v)", arg=f"plateblur-{new}",
                                       timeout=60_000, polling=500)
            app.page.reload()
            app.wait_ready()
            assert app.page.evaluate(read_style).endswith("/* release 2 */\n")
            assert cache_names(app) == [f"plateblur-{new}"], "the old release's cache is deleted"
        finally:
            app.close()
