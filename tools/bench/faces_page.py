"""Benchmark: what hiding faces costs in the page (headless Chromium, the WASM backend here) — photos per
second and video frames per second with Faces unticked against ticked, runs interleaved, in one run on this
machine (noisy: compare only numbers printed together), with the real-time factor of each clip.

    .venv/bin/python -m tools.bench.faces_page [--repeat 2]"""
from __future__ import annotations

import argparse
import statistics
import time

from tools.bench.video import scaled
from tools.testkit import MEDIA, media
from tools.testkit.page_driver import App, chromium, local_site

PHOTOS = ("dashcam-01.png", "dashcam-02.png", "street-05.jpg", "street-06.jpg", "openimages-09.jpg")


def set_faces(app: App, on: bool) -> None:
    box = app.page.locator("#controls [data-role=hide-faces] input, #controls input[data-role=hide-faces]").first
    if box.is_checked() != on:
        box.click()


def clear(app: App) -> None:
    app.page.evaluate("document.querySelectorAll('.result .remove').forEach(b => b.click())")


def timed(app: App, paths) -> float:
    started = time.perf_counter()
    app.upload(paths, timeout_ms=3_600_000)
    wall = time.perf_counter() - started
    for path in paths:
        card = app.result(path.name)
        assert card.get_attribute("data-state") == "done", card.text_content()
    clear(app)
    return wall


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=2)
    a = p.parse_args(argv)
    folder = media.ensure_media()
    clip = folder / "pan.mp4"
    cases = {"photos": ([MEDIA / name for name in PHOTOS], len(PHOTOS), "photos/s", None),
             "video 640x360": ([clip], 150, "fps", 30.0),
             "video 1280x720": ([scaled(clip, "1280x720", folder / "bench")], 150, "fps", 30.0)}
    with local_site() as url, chromium() as browser:
        app = App(browser, url).open()
        backend = app.page.evaluate("document.body.dataset.backend")
        print(f"page ({backend}), {len(PHOTOS)} photos of {MEDIA}, 150-frame clips at 30 fps; "
              f"median of {a.repeat} interleaved runs each")
        print("| case | plates only | plates and faces | ratio (time) | real-time factor (plates / both) |\n"
              "|---|---:|---:|---:|---:|")
        for name, (paths, count, unit, fps) in cases.items():
            times = {False: [], True: []}
            for _ in range(a.repeat):
                for faces in (False, True):
                    set_faces(app, faces)
                    times[faces].append(timed(app, paths))
            plates, both = statistics.median(times[False]), statistics.median(times[True])
            factor = f"{count / plates / fps:.2f} / {count / both / fps:.2f}" if fps else "-"
            print(f"| {name} | {count / plates:.2f} {unit} | {count / both:.2f} {unit} | {both / plates:.2f}x | {factor} |")
        app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
