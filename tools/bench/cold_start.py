"""Benchmark: navigation to ready on the first visit (empty browser: the service worker downloads the
release), the second visit (from its cache) and offline (server stopped, browser offline).

Prints medians of several runs measured now, on this machine (noisy: compare numbers from one run).
    .venv/bin/python -m tools.bench.cold_start [--runs 3]"""
from __future__ import annotations

import argparse
import statistics
import time

from tools.testkit.page_driver import App, chromium, local_site

VISITS = ("first visit", "second visit", "offline")


def timed(app: App, navigate) -> float:
    started = time.perf_counter()
    navigate()
    app.wait_ready()
    return (time.perf_counter() - started) * 1000


def one_run(browser) -> dict[str, float]:
    with local_site() as url:
        app = App(browser, url, service_workers="allow")     # a fresh context: empty cache and storage
        times = {"first visit": timed(app, lambda: app.page.goto(url))}
        assert app.page.evaluate("document.body.dataset.offline") == "yes", "not cached for offline use"
        times["second visit"] = timed(app, app.page.reload)
    app.context.set_offline(True)                             # and the server is gone
    times["offline"] = timed(app, app.page.reload)
    app.close()
    return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    with chromium() as browser:
        runs = [one_run(browser) for _ in range(a.runs)]
    print(f"navigation to ready, median of {a.runs} runs (ms)")
    for visit in VISITS:
        values = [r[visit] for r in runs]
        print(f"{visit:<14}{statistics.median(values):>8.0f}   (runs: {', '.join(f'{v:.0f}' for v in values)})")


if __name__ == "__main__":
    main()
