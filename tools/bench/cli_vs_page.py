"""Benchmark: the same clip through the CLI (PyAV, CPython ONNX Runtime) and through the page
(headless Chromium, onnxruntime-web), in one run: each one's fps, each runtime's bare model rate
at the clip's input, and the ratios.

    .venv/bin/python -m tools.bench.cli_vs_page [--clip pan.mp4]

Measured now on this machine (noisy: compare numbers from one run). The CLI's time is the whole
command (model load, decode, detect, track, obscure, H.264 encode, write); the page's is from the
upload to the finished result. Bare rates: median of 15 session.run calls on a blank input of the
clip's input size (the first run at that size left out), the way tools.bench.video times the page."""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from plateblur.assets import model_path
from plateblur.onnx_model import OnnxModel
from plateblur.preprocess import input_for
from plateblur.settings import STREAM_MODEL_FILE
from tests.support import media
from tests.support.page_driver import App, chromium, local_site
from tools.bench import time_stream_model
from tools.bench.cli_scale import cli_seconds
from tools.bench.video import process

RUNS = 15


def cli_bare_ms(clip_wh: tuple[int, int]) -> tuple[list[float], tuple[int, int]]:
    """Bare runs (ms) of the CLI's video model at the clip's input, and that input."""
    model = OnnxModel(model_path(STREAM_MODEL_FILE), spin=False)     # as the CLI loads it (bulk.work)
    w, h = input_for(clip_wh, model.input_wh, model.dynamic)
    tensor = np.full((1, 3, h, w), 114 / 255, np.float32)
    times = []
    for _ in range(RUNS + 1):
        started = time.perf_counter()
        model(tensor)
        times.append((time.perf_counter() - started) * 1000)
    return times[1:], (w, h)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clip", default="pan.mp4", help="a clip of build/test-media")
    a = p.parse_args()
    clip = media.ensure_media() / a.clip
    truth = media.truth(clip.name)
    clip_wh, frames = (truth["width"], truth["height"]), truth["frame_count"]
    work = Path(tempfile.mkdtemp(prefix="plateblur-bench-"))
    try:
        cli_ms, cli_input = cli_bare_ms(clip_wh)
        cli_fps = frames / cli_seconds([str(clip), "-o", str(work), "-q"])
        with local_site() as url, chromium() as browser:
            app = App(browser, url).open()
            page_ms, page_input = time_stream_model(app, clip_wh, RUNS)
            page = process(app, clip, fast=False)
            app.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert page["frames"] == frames, (page["frames"], frames)
    cli_bare, page_bare = 1000 / statistics.median(cli_ms), 1000 / statistics.median(page_ms)
    print(f"{clip.name}: {clip_wh[0]}x{clip_wh[1]}, {frames} frames; model input: CLI {cli_input[0]}x{cli_input[1]}, "
          f"page {page_input[0]}x{page_input[1]}")
    print(f"{'':<6}{'fps':>8}{'bare model fps':>16}{'fps / bare':>12}")
    for name, fps, bare in (("CLI", cli_fps, cli_bare), ("page", page["fps"], page_bare)):
        print(f"{name:<6}{fps:>8.2f}{bare:>16.2f}{fps / bare:>12.0%}")
    print(f"CLI / page: {cli_fps / page['fps']:.2f}x the fps, {cli_bare / page_bare:.2f}x the bare model rate")


if __name__ == "__main__":
    main()
