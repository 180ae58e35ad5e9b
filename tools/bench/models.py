"""Benchmark: bare session.run per backend, model file and input shape in headless Chromium (onnxruntime-web).

    .venv/bin/python -m tools.bench.models                                   # wasm, the shipped models
    .venv/bin/python -m tools.bench.models --backend wasm webgpu --runs 10 --gpu-runs 2
    .venv/bin/python -m tools.bench.models --models models/plates-ref-v2-dynamic-int8.onnx --shapes 640x384 480x288

Each (backend, model) gets a fresh tab; a model with dynamic input is timed at every --shape, a fixed one at
its own. One warm-up run per shape is left out; prints medians and the ratio to the first row of the same
backend. "webgpu" is Chromium's software adapter here (SwiftShader, --enable-unsafe-webgpu): a CPU emulating a
GPU, minutes per run under load, never a measure of a real GPU."""
from __future__ import annotations

import argparse
import json
import statistics

from plateblur.settings import MODEL_FILE, STREAM_MODEL_FILE
from tools.bench import WARMUP_RUNS, bare_runs
from tools.testkit.page_driver import App, chromium, local_site

SHAPES = ["640x640", "640x384", "480x288", "416x256"]     # the square, then 16:9 at long sides 640, 480, 416


def time_runs(app: App, runs: int, w: int, h: int, gpu: bool) -> list[float]:
    """``runs`` timed runs at this shape, after the warm-up (tools.bench.WARMUP_RUNS on WASM; on the software
    WebGPU adapter, where a run takes about a minute, only the first run, which plans the shape)."""
    return bare_runs(app, runs, False, w, h, warmup=1 if gpu else WARMUP_RUNS)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=[MODEL_FILE, STREAM_MODEL_FILE])
    p.add_argument("--backend", nargs="+", default=["wasm"], choices=["wasm", "webgpu"])
    p.add_argument("--shapes", nargs="+", default=SHAPES, help="WxH inputs for models with dynamic input")
    p.add_argument("--runs", type=int, default=10, help="timed runs per shape on wasm")
    p.add_argument("--gpu-runs", type=int, default=2, help="timed runs per shape on the software WebGPU adapter")
    p.add_argument("--gpu-shapes", nargs="+", default=None, help="shapes for webgpu (default: --shapes)")
    p.add_argument("--json", default=None, help="also write the rows to this file")
    a = p.parse_args(argv)
    rows = []
    print(f"{'backend':<8}{'model':<42}{'input':>9}{'runs':>5}{'median ms':>11}{'ratio':>7}")
    with local_site(extra=("build/models/",)) as url:
        for backend in a.backend:
            gpu = backend == "webgpu"
            base = None
            with chromium(webgpu=gpu) as browser:
                for model in a.models:
                    app = App(browser, url).open(f"?model={model}", timeout_ms=900_000)
                    info = app.page.evaluate("window.plateblur.info")
                    if info["backend"] != backend:
                        raise SystemExit(f"asked for {backend}, the page runs {info['backend']}")
                    shapes = (a.gpu_shapes or a.shapes) if gpu else a.shapes
                    shapes = shapes if info["dynamic"] else ["x".join(map(str, info["input_wh"]))]
                    for shape in shapes:
                        w, h = map(int, shape.split("x"))
                        runs = time_runs(app, a.gpu_runs if gpu else a.runs, w, h, gpu)
                        median = statistics.median(runs)
                        base = base or median
                        rows.append({"backend": backend, "model": model, "input": shape, "runs": runs,
                                     "median_ms": round(median, 1), "ratio": round(median / base, 2),
                                     "threads": info["threads"]})
                        print(f"{backend:<8}{model:<42}{shape:>9}{len(runs):>5}{median:>11.1f}{median / base:>7.2f}",
                              flush=True)
                    app.close()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
