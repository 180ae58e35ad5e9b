"""Benchmark: the same clip through the CLI (PyAV, CPython ONNX Runtime) and through the page
(headless Chromium, onnxruntime-web), in one run: each one's fps, each runtime's bare model rate
at the clip's input, and the ratios.

    .venv/bin/python -m tools.bench.cli_vs_page [--clip pan.mp4]

Measured now on this machine (noisy: compare numbers from one run). The CLI's time is the whole
command (model load, decode, detect, track, obscure, H.264 encode, write); the page's is from the
upload to the finished result. Bare rates: median of 2 x 15 session.run calls on a blank input of
the clip's input size (the first run at that size left out, as tools.bench.video times the page),
15 before and 15 after the clips (the load on a shared machine drifts; both medians are printed)."""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from plateblur.cpython.assets import model_path
from plateblur.cpython.onnx_model import OnnxModel
from plateblur.preprocess import input_for
from plateblur.settings import STREAM_MODEL_FILE
from tools.bench import time_stream_model
from tools.bench.cli_scale import cli_seconds
from tools.bench.video import process
from tools.testkit import media
from tools.testkit.page_driver import App, chromium, local_site

RUNS = 15


def cli_bare_ms(model: OnnxModel, clip_wh: tuple[int, int]) -> tuple[list[float], tuple[int, int]]:
    """Bare runs (ms) of the CLI's video model at the clip's input, and that input."""
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
    model = OnnxModel(model_path(STREAM_MODEL_FILE), spin=False)     # as the CLI loads it (cpython.work)
    work = Path(tempfile.mkdtemp(prefix="plateblur-bench-"))
    bare: dict[str, list[list[float]]] = {"CLI": [], "page": []}
    try:
        with local_site() as url, chromium() as browser:
            app = App(browser, url).open()

            def time_bare() -> tuple[tuple[int, int], tuple[int, int]]:
                cli_ms, cli_input = cli_bare_ms(model, clip_wh)
                page_ms, page_input = time_stream_model(app, clip_wh, RUNS)
                bare["CLI"].append(cli_ms)
                bare["page"].append(page_ms)
                return cli_input, page_input

            inputs = time_bare()             # bare rates before and after the clips: the load here drifts
            fps = {"CLI": frames / cli_seconds([str(clip), "-o", str(work), "-q"])}
            page = process(app, clip, fast=False)
            assert page["frames"] == frames, (page["frames"], frames)
            fps["page"], stages = page["fps"], page["stages"]
            time_bare()
            app.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (cli_w, cli_h), (page_w, page_h) = inputs
    print(f"{clip.name}: {clip_wh[0]}x{clip_wh[1]}, {frames} frames; "
          f"model input: CLI {cli_w}x{cli_h}, page {page_w}x{page_h}")
    print(f"{'':<6}{'fps':>8}{'bare model fps':>16}{'(before / after)':>20}{'fps / bare':>12}")
    rate = {}
    for name in ("CLI", "page"):
        before, after = (1000 / statistics.median(ms) for ms in bare[name])
        rate[name] = 1000 / statistics.median(bare[name][0] + bare[name][1])
        print(f"{name:<6}{fps[name]:>8.2f}{rate[name]:>16.2f}{f'{before:.2f} / {after:.2f}':>20}"
              f"{fps[name] / rate[name]:>12.0%}")
    print(f"CLI / page: {fps['CLI'] / fps['page']:.2f}x the fps, {rate['CLI'] / rate['page']:.2f}x the bare model rate")
    print("page ms/frame inside the loop: " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))


if __name__ == "__main__":
    main()
