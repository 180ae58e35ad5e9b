"""Benchmark: live camera in headless Chromium (fake device fed with build/test-media/camera.y4m):
displayed fps, end-to-end latency (camera frame read to display) and the share of camera frames
shown, against the bare session.run rate.

    .venv/bin/python -m tools.bench.camera [--seconds 20] [--size 1280x720]   # camera.y4m scaled up"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from pathlib import Path

from tools.bench import time_stream_model
from tools.testkit import media
from tools.testkit.page_driver import App, chromium, local_site


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--size", metavar="WxH", help="feed camera.y4m scaled to this size (a 720p webcam, say)")
    p.add_argument("--site", type=Path, help="serve the site of this checkout instead (e.g. a git worktree of an "
                   "earlier commit, with vendor/ linked in): before/after comparisons with the same script")
    a = p.parse_args()
    clip = media.ensure_media() / "camera.y4m"
    clip_wh = (media.truth("camera.y4m")["width"], media.truth("camera.y4m")["height"])
    if a.size:
        clip_wh = tuple(int(v) for v in a.size.split("x"))
        scaled = clip.parent / "bench" / f"camera-{a.size}.y4m"
        if not scaled.exists() or scaled.stat().st_mtime < clip.stat().st_mtime:
            scaled.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(clip), "-vf", f"scale={a.size}",
                            "-pix_fmt", "yuv420p", str(scaled)], check=True)
        clip = scaled
    args = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}"]
    with local_site(**({'root': a.site.resolve()} if a.site else {})) as url, chromium(args) as browser:
        app = App(browser, url).open()
        bare, _ = time_stream_model(app, clip_wh)
        app.page.click("[data-action=camera-start]")
        app.page.wait_for_function("() => Number(document.querySelector('canvas[data-role=live]').dataset.shown) >= 2",
                                   timeout=60_000)
        live = app.page.evaluate("(() => { const c = document.querySelector('canvas[data-role=live]'); "
                                 "return [c.width, c.height]; })()")
        if tuple(live) != tuple(clip_wh):
            raise SystemExit(f"the camera gives {live[0]}x{live[1]} frames, not {clip_wh[0]}x{clip_wh[1]}")
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
    print(f"camera {clip_wh[0]}x{clip_wh[1]}; bare session.run, before and after: median {statistics.median(bare):.1f} ms -> {model_fps:.2f} fps model-bound")
    print(f"over {elapsed:.0f} s: {shown / elapsed:.2f} fps displayed ({shown / elapsed / model_fps:.0%} of model-bound), "
          f"camera delivered {received / elapsed:.1f} fps, {shown / max(received, 1):.1%} of its frames shown")
    print(f"latency, camera frame read to display: median {statistics.median(latencies):.0f} ms "
          f"(min {min(latencies):.0f}, max {max(latencies):.0f}, {len(latencies)} samples)")


if __name__ == "__main__":
    main()
