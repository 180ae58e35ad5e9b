"""Benchmark: video processing rate against the bare model rate, real-time factor, tab memory.

    .venv/bin/python -m tools.bench.video                      # the test clips (build/test-media)
    .venv/bin/python -m tools.bench.video --long 120           # also the first 120 s of long.mp4 (720p)
    .venv/bin/python -m tools.bench.video --fast               # every clip in "Fast video" (detect every 3rd frame)
    .venv/bin/python -m tools.bench.video --sizes 1280x720 1920x1080   # also pan.mp4 scaled up (H.264, same frames)

Prints medians measured now on this machine (noisy: compare numbers from one run). Memory is the
resident size of all Chromium processes (renderer, workers, GPU), sampled every second."""
from __future__ import annotations

import argparse
import statistics
import subprocess
import threading
import time
from pathlib import Path

from tools.bench import time_stream_model
from tools.testkit import media
from tools.testkit.page_driver import App, chromium, local_site


def chromium_rss_mb() -> float:
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if "\nName:\tchromium" in "\n" + text or "Name:\tchrome" in text:
            for line in text.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


class MemorySampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.running = True

    def run(self):
        while self.running:
            self.samples.append(chromium_rss_mb())
            time.sleep(1)


def cut(source: Path, seconds: int, target: Path) -> Path:
    if not target.exists():
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), "-t", str(seconds), "-c", "copy",
                        str(target)], check=True)
    return target


def scaled(source: Path, size: str, folder: Path) -> Path:
    """``source`` scaled to ``size`` (WxH), H.264 at high quality, audio copied: the same frames and
    plates at another resolution (the model still runs at 640 on the long side)."""
    w, h = (int(v) for v in size.split("x"))
    target = folder / f"{source.stem}-{w}x{h}.mp4"
    if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), "-map", "0", "-vf", f"scale={w}:{h}",
                        "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-c:a", "copy",
                        str(target)], check=True)
    return target


def process(app: App, path: Path, fast: bool) -> dict:
    if fast != app.page.is_checked("#controls input[name=fast]"):
        app.page.click("#controls input[name=fast]")
    started = time.perf_counter()
    app.upload([path], timeout_ms=3_600_000)
    wall = time.perf_counter() - started
    card = app.result(path.name)
    assert card.get_attribute("data-state") == "done", card.locator(".status").text_content()
    rate = card.locator(".rate").text_content()
    frames = int(rate.split(" frames")[0])
    stages = app.data(card, "stages")
    app.page.evaluate("document.querySelectorAll('.result .remove').forEach(b => b.click())")
    return {"frames": frames, "wall": wall, "fps": frames / wall, "stages": stages}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--long", type=int, default=0, help="also process this many seconds of long.mp4 (1280x720)")
    p.add_argument("--fast", action="store_true", help="\"Fast video\" for every clip: detect every 3rd frame, the tracker between")
    p.add_argument("--sizes", nargs="*", default=[], metavar="WxH",
                   help="also run pan.mp4 scaled to these sizes (e.g. 1280x720 1920x1080)")
    p.add_argument("--site", type=Path, help="serve the site of this checkout instead (e.g. a git worktree of an "
                   "earlier commit, with vendor/ linked in): before/after comparisons with the same script")
    a = p.parse_args()
    folder = media.ensure_media(long=bool(a.long))
    clips = [folder / "pan.mp4", folder / "pan.webm"] + [scaled(folder / "pan.mp4", size, folder / "bench")
                                                          for size in a.sizes]
    with local_site(**({'root': a.site.resolve()} if a.site else {})) as url, chromium() as browser:
        app = App(browser, url).open()
        clip_wh = (media.truth(clips[0].name)["width"], media.truth(clips[0].name)["height"])
        bare, (w, h) = time_stream_model(app, clip_wh)
        print(f"bare session.run of the video model at the clips' input {w}x{h}: median {statistics.median(bare):.1f} ms; "
              "each clip is compared with the bare runs just before and after it (the machine's speed drifts)")
        print(f"{'clip':<26}{'frames':>8}{'fps':>8}{'bare fps':>10}{'of model-bound':>16}{'real-time factor':>18}"
              f"{'ms besides run':>16}")
        for clip in clips:
            truth = media.truth(clip.name.split("-")[0] + ".mp4" if "-" in clip.stem else clip.name)
            r = process(app, clip, fast=a.fast)
            after, _ = time_stream_model(app, clip_wh)
            model_fps = 1000 / statistics.median(bare + after)
            bare = after
            besides = sum(v for k, v in r["stages"].items() if k != "run")
            print(f"{clip.name:<26}{r['frames']:>8}{r['fps']:>8.2f}{model_fps:>10.2f}{r['fps'] / model_fps:>15.0%}"
                  f"{r['fps'] / truth['fps']:>18.3f}{besides:>16.1f}   ms/frame: "
                  + ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items()))
        if a.long:
            long_clip = cut(folder / "long.mp4", a.long, folder / f"long-{a.long}s.mp4")
            sampler = MemorySampler()
            sampler.start()
            r = process(app, long_clip, fast=a.fast)
            sampler.running = False
            s = sampler.samples
            print(f"\n{long_clip.name} (1280x720, {r['frames']} frames{', fast mode' if a.fast else ''}): "
                  f"{r['fps']:.2f} fps, {r['wall']:.0f} s")
            quarters = ", ".join(f"{q}%: {s[min(len(s) - 1, len(s) * q // 100)]:.0f}" for q in (25, 50, 75, 100))
            print(f"Chromium resident memory (MB): start {s[0]:.0f}, peak {max(s):.0f}; "
                  f"at {quarters} of the run (flat = bounded)")
        app.close()


if __name__ == "__main__":
    main()
