"""Benchmarks of the page (headless Chromium, through tests.support.page_driver) and the CLI:
``python -m tools.bench.photos | video | camera | models | cold_start``. They print medians measured now."""

from plateblur.preprocess import input_for


def time_stream_model(app, frame_wh: tuple[int, int], runs: int = 15) -> tuple[list[float], tuple[int, int]]:
    """Bare runs (ms) of the page's video/camera model at the input a frame of ``frame_wh`` runs at
    (the frame's aspect for a model with dynamic input), and that input. The first run at a new input
    shape plans it (several times slower) and is left out."""
    info = app.page.evaluate("window.plateblur.info")
    w, h = input_for(frame_wh, tuple(info["input_wh"]), info["dynamic"])
    runs_ms = app.page.evaluate(f"window.plateblur.sync.time_model({runs + 1}, true, {w}, {h})")
    return runs_ms[1:], (w, h)
