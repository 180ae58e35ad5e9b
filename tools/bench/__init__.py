"""Benchmarks of the page (headless Chromium, through tools.testkit.page_driver) and the CLI:
``python -m tools.bench.photos | video | camera | models | cold_start``. They print medians measured now."""

from plateblur.preprocess import input_for


# Runs left out of every bare timing: right after load V8 still runs onnxruntime's WASM on its baseline
# compiler (measured here, int8 at 640x384: the first 6 runs took 97-190 ms, then 56-66 ms); the first
# run at a new input shape also plans it.
WARMUP_RUNS = 10


def bare_runs(app, runs: int, stream: bool = True, w: int = 0, h: int = 0, warmup: int = WARMUP_RUNS) -> list[float]:
    """``runs`` timed bare runs (ms) of the page's video/camera model (``stream``) or photo model, at
    input ``w`` x ``h`` (0: the model's own), after ``warmup`` untimed ones."""
    flag = "true" if stream else "false"
    return app.page.evaluate(f"window.plateblur.sync.time_model({runs + warmup}, {flag}, {w}, {h})")[warmup:]


def time_stream_model(app, frame_wh: tuple[int, int], runs: int = 15) -> tuple[list[float], tuple[int, int]]:
    """Bare runs (ms) of the page's video/camera model at the input a frame of ``frame_wh`` runs at
    (the frame's aspect for a model with dynamic input), and that input."""
    info = app.page.evaluate("window.plateblur.info")
    w, h = input_for(frame_wh, tuple(info["input_wh"]), info["dynamic"])
    return bare_runs(app, runs, True, w, h), (w, h)
