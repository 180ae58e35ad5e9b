"""Benchmark: bare session.run per model file in headless Chromium (onnxruntime-web, wasm).

    .venv/bin/python -m tools.bench.models models/plates-ref-v2.onnx build/models/plates-ref-v2-480.onnx ...

Each model is loaded in a fresh tab; prints the median of 20 runs after one warm-up (in load)."""
from __future__ import annotations

import statistics
import sys

from tests.support.page_driver import App, chromium, local_site


def main() -> None:
    models = sys.argv[1:] or ["models/plates-ref-v2.onnx"]
    with local_site(extra=("build/models/",)) as url, chromium() as browser:
        print(f"{'model':<48}{'input':>10}{'median ms':>11}{'min':>8}{'max':>8}")
        for model in models:
            app = App(browser, url).open(f"?model={model}")
            info = app.page.evaluate("window.plateblur.info")
            runs = app.page.evaluate("window.plateblur.sync.time_model(20)")
            app.close()
            w, h = info["input_wh"]
            print(f"{model:<48}{f'{w}x{h}':>10}{statistics.median(runs):>11.1f}{min(runs):>8.1f}{max(runs):>8.1f}")


if __name__ == "__main__":
    main()
