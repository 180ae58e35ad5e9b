"""Benchmark: live camera in headless Chromium (fake device fed with build/test-media/camera.y4m):
displayed fps, end-to-end latency (camera frame read to display) and the share of camera frames
shown, against the bare session.run rate.

    .venv/bin/python -m tools.bench.camera [--seconds 20]"""
from __future__ import annotations

import argparse
import statistics
import time

from tests.support import media
from tests.support.page_driver import App, chromium, local_site
from tools.bench import time_stream_model


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=20)
    a = p.parse_args()
    clip = media.ensure_media() / "camera.y4m"
    args = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}"]
    with local_site() as url, chromium(args) as browser:
        app = App(browser, url).open()
        clip_wh = (media.truth("camera.y4m")["width"], media.truth("camera.y4m")["height"])
        bare, _ = time_stream_model(app, clip_wh)
        app.page.click("[data-action=camera-start]")
        app.page.wait_for_function("() => Number(document.querySelector('canvas[data-role=live]').dataset.shown) >= 2",
                                   timeout=60_000)
        read = "({...document.querySelector('canvas[data-role=live]').dataset})"
        first, started = app.page.evaluate(read), time.perf_counter()
        latencies = []
        while time.perf_counter() - started < a.seconds:
            app.page.wait_for_timeout(250)
            latencies.append(float(app.page.evaluate(read)["latency"]))
        last, elapsed = app.page.evaluate(read), time.perf_counter() - started
        app.page.click("[data-action=camera-stop]")
        app.page.wait_for_timeout(500)
        bare += time_stream_model(app, clip_wh)[0]       # before and after: the machine's speed drifts
        app.close()
    shown = int(last["shown"]) - int(first["shown"])
    received = int(last["received"]) - int(first["received"])
    model_fps = 1000 / statistics.median(bare)
    print(f"bare session.run, before and after: median {statistics.median(bare):.1f} ms -> {model_fps:.2f} fps model-bound")
    print(f"over {elapsed:.0f} s: {shown / elapsed:.2f} fps displayed ({shown / elapsed / model_fps:.0%} of model-bound), "
          f"camera delivered {received / elapsed:.1f} fps, {shown / max(received, 1):.1%} of its frames shown")
    print(f"latency, camera frame read to display: median {statistics.median(latencies):.0f} ms "
          f"(min {min(latencies):.0f}, max {max(latencies):.0f}, {len(latencies)} samples)")


if __name__ == "__main__":
    main()
