"""Benchmark: how long an edit in the page takes to reach the download, for a 12-megapixel photo.

A sample upscaled to 4000x3000 (JPEG) is processed once; then each edit (remove a region, undo, draw
one) is timed from the click or drag to the moment its result is 'done' (the download link holds it).
Prints medians measured now, on this machine, with the worker's own stage times.
    .venv/bin/python -m tools.bench.edit [--repeat 5]"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from tools.testkit import MEDIA
from tools.testkit.page_driver import App, chromium, local_site

SOURCE, SIZE = "street-07.jpg", (4000, 3000)


def photo_12mp(folder: Path) -> Path:
    path = folder / "street-12mp.jpg"
    Image.open(MEDIA / SOURCE).convert("RGB").resize(SIZE, Image.Resampling.LANCZOS).save(path, quality=92)
    return path


def timed(app: App, result, action) -> tuple[float, dict]:
    """ms from ``action()`` to the result being done again, and the worker's stage times."""
    started = time.perf_counter()
    action()
    app.page.wait_for_function("el => el.dataset.state === 'done'", arg=result.element_handle(), timeout=120_000)
    return (time.perf_counter() - started) * 1000, app.data(result, "timings")


def drag(app: App, result) -> None:
    editor = result.locator("[data-role=editor]")
    editor.scroll_into_view_if_needed()
    box = editor.bounding_box()
    mouse = app.page.mouse
    mouse.move(box["x"] + 0.1 * box["width"], box["y"] + 0.1 * box["height"])
    mouse.down()
    mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.2 * box["height"], steps=4)
    mouse.up()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=5, help="rounds of (draw, remove, undo)")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp, local_site() as url, chromium() as browser:
        photo = photo_12mp(Path(tmp))
        app = App(browser, url).open()
        started = time.perf_counter()
        app.upload([photo])
        first_ms = (time.perf_counter() - started) * 1000
        result = app.result(photo.name)
        times: dict[str, list[float]] = {"draw": [], "remove": [], "undo": []}
        stages: list[dict] = []
        count = len(app.data(result, "regions"))
        for _ in range(a.repeat):
            for kind, action in (("draw", lambda: drag(app, result)),
                                 ("remove", lambda: result.locator("[data-action=remove-region]").last.click()),
                                 ("undo", lambda: result.locator("[data-action=undo]").click())):
                ms, timing = timed(app, result, action)
                count += {"draw": 1, "remove": -1, "undo": 1}[kind]
                assert len(app.data(result, "regions")) == count, f"the {kind} did not reach the download"
                times[kind].append(ms)
                stages.append(timing)
        assert not app.errors and not app.external_requests()
        app.close()
    print(f"{SIZE[0]}x{SIZE[1]} JPEG ({SIZE[0] * SIZE[1] / 1e6:.0f} MP, upscaled {SOURCE}); "
          f"first result (detection included): {first_ms:.0f} ms")
    for kind, values in times.items():
        print(f"edit '{kind}' to download: median {statistics.median(values):.0f} ms "
              f"(runs: {', '.join(f'{v:.0f}' for v in values)})")
    everything = [v for values in times.values() for v in values]
    print(f"all edits: median {statistics.median(everything):.0f} ms")
    for stage in ("decode", "obscure", "encode"):
        print(f"  worker {stage}: median {statistics.median(s.get(stage, 0) for s in stages):.0f} ms")


if __name__ == "__main__":
    main()
