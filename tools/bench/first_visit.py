"""Benchmark: what the first visit downloads. A fresh browser profile (service workers allowed, WASM)
opens the page; the local server counts the body bytes it sends for each file from the page's open to
`document.body.dataset.app == "ready"`. Prints the total, the seconds, the biggest files and what the
service worker's cache holds then (noisy: compare numbers from one run).
    .venv/bin/python -m tools.bench.first_visit [--runs 3] [--top 12] [--webgpu] [--root SITE_COPY ...]
--root: serve an exported copy of the site instead (`python -m tools.site_files DIR` of another commit),
one or more, measured in turns with each other in the same run."""
from __future__ import annotations

import argparse
import statistics
import threading
import time
import urllib.parse
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from tools.serve import Handler, make_server
from tools.testkit.page_driver import App, chromium


class CountingHandler(Handler):
    """Handler that adds the bytes of each response body to the server's ``sent`` counter."""

    def copyfile(self, source, outputfile) -> None:
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/") or "index.html"
        while chunk := source.read(1 << 16):
            outputfile.write(chunk)
            with self.server.lock:
                self.server.sent[path] += len(chunk)


@contextmanager
def counting_site(root: Path | None = None):
    server = make_server("127.0.0.1", 0, **({"root": root} if root else {}))
    server.RequestHandlerClass = CountingHandler
    server.sent, server.lock = Counter(), threading.Lock()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", server
    finally:
        server.shutdown()
        server.server_close()


def first_visit(browser, root: Path | None = None) -> tuple[float, Counter, int]:
    """Seconds to ready, bytes sent per path, and the bytes in the service worker's cache."""
    with counting_site(root) as (url, server):
        app = App(browser, url, service_workers="allow")
        try:
            started = time.perf_counter()
            app.page.goto(url)
            app.wait_ready(600_000)
            seconds = time.perf_counter() - started
            with server.lock:
                sent = Counter(server.sent)
            cached = app.page.evaluate("""async () => {
              let total = 0;
              for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) total += (await (await cache.match(request)).blob()).size;
              }
              return total;
            }""")
        finally:
            app.close()
    return seconds, sent, cached


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=1, help="visits per site (median of the seconds)")
    p.add_argument("--top", type=int, default=12, help="how many of the biggest files to list")
    p.add_argument("--webgpu", action="store_true", help="with the browser's (software) WebGPU adapter")
    p.add_argument("--root", type=Path, nargs="*", default=[None], help="exported site copies (default: the checkout)")
    a = p.parse_args()
    visits = {root: [] for root in a.root}
    with chromium(webgpu=a.webgpu) as browser:
        for _ in range(a.runs):
            for root in a.root:
                visits[root].append(first_visit(browser, root))
    for root, runs in visits.items():
        seconds = [s for s, _, _ in runs]
        _, sent, cached = runs[-1]
        print(f"{root or 'checkout'}: first visit ({'WebGPU' if a.webgpu else 'WASM'}) downloads "
              f"{sum(sent.values()) / 1e6:.1f} MB in {len(sent)} files before ready, median "
              f"{statistics.median(seconds):.1f} s (runs: {', '.join(f'{s:.1f}' for s in seconds)}); "
              f"offline cache {cached / 1e6:.1f} MB")
        for path, size in sent.most_common(a.top):
            print(f"{size / 1e6:>8.2f} MB  {path}")


if __name__ == "__main__":
    main()
