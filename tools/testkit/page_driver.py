"""Drives the page in headless Debian Chromium for the browser tests and the benchmarks.

Every request the page (or its workers) makes is recorded, so a caller can prove that nothing
went beyond the local server; the resolver rule makes sure nothing could leave anyway."""
from __future__ import annotations

import json
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

from tools.serve import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# WebGPU: without --disable-gpu, and with this flag, headless Chromium here offers a software adapter
# (SwiftShader): correct, but about as slow as the CPU at best; never a measure of a real GPU.
WEBGPU_ARGS = ["--enable-unsafe-webgpu"]
READY_TIMEOUT_MS = 120_000
SETTLE_TIMEOUT_MS = 300_000
# Long main-thread tasks, recorded from the first moment of every page.
LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longTasks.push({start: e.startTime, duration: e.duration});
}).observe({type: "longtask", buffered: true});
"""
# Pixel and model work seen on the page's main thread, from its first moment: WebAssembly (Pyodide and
# onnxruntime-web are WASM) and pixel reads (getImageData). The app does both only in its worker, so a
# test asserts this list stays empty: a check of where the work runs, which a busy machine cannot break.
MAIN_THREAD_WORK = """
window.__mainThreadWork = [];
{
  const note = (what) => window.__mainThreadWork.push(what);
  for (const name of ["instantiate", "instantiateStreaming", "compile", "compileStreaming"]) {
    const original = WebAssembly[name];
    WebAssembly[name] = function (...args) { note(`WebAssembly.${name}`); return original.apply(this, args); };
  }
  for (const name of ["Module", "Instance"]) {
    WebAssembly[name] = new Proxy(WebAssembly[name], {
      construct(target, args, newTarget) { note(`new WebAssembly.${name}`); return Reflect.construct(target, args, newTarget); },
    });
  }
  for (const context of [CanvasRenderingContext2D, OffscreenCanvasRenderingContext2D]) {
    const original = context.prototype.getImageData;
    context.prototype.getImageData = function (...args) {
      note(`${context.name}.getImageData ${args[2]}x${args[3]}`);
      return original.apply(this, args);
    };
  }
}
"""
# What the Content-Security-Policy blocked in the page, from its first moment: nothing the app does.
CSP_VIOLATIONS = """
window.__cspViolations = [];
addEventListener("securitypolicyviolation", (e) => __cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`));
"""


@contextmanager
def local_site(isolation: bool = True, extra: tuple[str, ...] = (), root: Path | None = None):
    """Serve the site (and ``extra``, see make_server; or a copy of it in ``root``) on a free local port;
    yields the base URL. Afterwards the port refuses connections."""
    server = make_server("127.0.0.1", 0, isolation=isolation, extra=extra, **({"root": root} if root else {}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def launch(playwright, extra_args=(), webgpu: bool = False):
    """Debian's Chromium, headless, offline, with ``extra_args`` (e.g. the fake camera's); ``webgpu``:
    with its software WebGPU adapter (else the GPU is off and the page runs the model on WASM)."""
    args = [a for a in CHROMIUM_ARGS if not (webgpu and a == "--disable-gpu")] + (WEBGPU_ARGS if webgpu else [])
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*args, *extra_args])


@contextmanager
def chromium(extra_args=(), webgpu: bool = False):
    """A browser of its own (one per process: Playwright's sync API allows one driver at a time)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p, extra_args, webgpu)
        try:
            yield browser
        finally:
            browser.close()


class App:
    """One tab of the app, with what it requested and what went wrong in it."""

    def __init__(self, browser, site_url: str, service_workers: str = "block", **context_options):
        self.site_url = site_url
        context_options.setdefault("locale", "en-US")        # the tests read English texts unless they ask
        self.context = browser.new_context(service_workers=service_workers, accept_downloads=True, **context_options)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.downloads: dict[str, tuple[str, bytes]] = {}
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.context.add_init_script(LONG_TASKS + MAIN_THREAD_WORK + CSP_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, query: str = "", timeout_ms: int = READY_TIMEOUT_MS) -> "App":
        self.page.goto(self.site_url + query)
        self.wait_ready(timeout_ms)
        return self

    def wait_ready(self, timeout_ms: int = READY_TIMEOUT_MS) -> None:
        self.page.wait_for_function("() => document.body.dataset.app === 'ready' || document.body.dataset.app === 'error'",
                                    timeout=timeout_ms)
        state = self.page.evaluate("document.body.dataset.app")
        assert state == "ready", f"app failed to start: {self.page.text_content('#load-status')}"

    def external_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith((self.site_url, "data:", "blob:"))]

    def main_thread_work(self) -> list[str]:
        """The WebAssembly and pixel reads the page's main thread did (MAIN_THREAD_WORK)."""
        return self.page.evaluate("window.__mainThreadWork")

    def csp_violations(self) -> list[str]:
        """"<directive> <blocked URL>" of each request or script the page's policy refused."""
        return self.page.evaluate("window.__cspViolations")

    def results(self):
        return self.page.locator(".result")

    def hide(self, plates: bool = True, faces: bool = True) -> None:
        """Tick or untick the settings' "Hide" boxes (data-role hide-plates, hide-faces), plates first so
        that one always stays ticked."""
        for choice, on in (("plates", plates), ("faces", faces)) if plates else (("faces", faces), ("plates", plates)):
            box = self.page.locator(f"#controls input[data-role=hide-{choice}]")
            if box.is_checked() != on:
                box.click()

    def upload(self, paths, timeout_ms: int = SETTLE_TIMEOUT_MS) -> None:
        """Choose files through the file input and wait until each has finished (done, error or cancelled)."""
        before = self.results().count()
        self.page.set_input_files("input[type=file]", [str(p) for p in paths])
        self.wait_settled(before + len(paths), timeout_ms)

    def wait_settled(self, count: int, timeout_ms: int = SETTLE_TIMEOUT_MS) -> None:
        self.page.wait_for_function(
            "n => document.querySelectorAll('.result:is([data-state=done], [data-state=error], [data-state=cancelled])')"
            ".length >= n "
            "&& !document.querySelector('.result[data-state=working], .result[data-state=queued]')",
            arg=count, timeout=timeout_ms)

    def result(self, name: str):
        return self.page.locator(".result", has=self.page.locator(".name", has_text=name)).first

    def data(self, result, key: str):
        return json.loads(result.get_attribute(f"data-{key}"))

    def download(self, result) -> tuple[str, bytes]:
        """Click the result's download link; the same link (blob URL) is fetched only once."""
        link = result.locator("a[download]")
        href = link.get_attribute("href")
        if href not in self.downloads:
            with self.page.expect_download() as info:
                link.click()
            download = info.value
            self.downloads[href] = (download.suggested_filename, Path(download.path()).read_bytes())
        return self.downloads[href]

    def close(self) -> None:
        self.context.close()
