"""Benchmark: cold start and per-photo stage times in headless Chromium, and the CLI per photo.

Prints medians of several runs measured now, on this machine (noisy: compare numbers from one run).
    .venv/bin/python -m tools.bench.photos [--repeat 3] [--cold 3] [--model models/x.onnx]"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from plateblur.settings import MODEL_FILE
from tools.bench import bare_runs
from tools.testkit import MEDIA, REPO_ROOT
from tools.testkit.page_driver import App, chromium, local_site

STAGES = ["decode", "preprocess", "run", "postprocess", "obscure", "encode"]


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def cold_starts(browser, url: str, query: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        app = App(browser, url)                    # a fresh context: empty HTTP cache and storage
        started = time.perf_counter()
        app.open(query)
        times.append((time.perf_counter() - started) * 1000)
        app.close()
    return times


def page_stages(browser, url: str, query: str, photos: list[Path], repeat: int):
    app = App(browser, url).open(query)
    bare = bare_runs(app, 15, stream=False)
    info = app.page.evaluate("window.plateblur.info")
    per_photo: dict[str, dict[str, list[float]]] = {}
    for _ in range(repeat):
        app.upload(photos)
        for photo in photos:
            timings = app.data(app.result(photo.name), "timings")
            for stage in STAGES:
                per_photo.setdefault(photo.name, {}).setdefault(stage, []).append(timings[stage])
        app.page.evaluate("document.querySelectorAll('.result .remove').forEach(b => b.click())")
    assert not app.external_requests(), app.external_requests()
    app.close()
    return info, bare, per_photo


def cli_times(photos: list[Path], repeat: int, model_path: Path) -> dict[str, float]:
    from plateblur import Settings, pipeline
    from plateblur.imageio import decode_photo, encode_photo
    from plateblur.cpython.onnx_model import OnnxModel

    model, settings, out = OnnxModel(model_path), Settings(), {}
    for photo in photos:
        times = []
        for _ in range(repeat + 1):
            started = time.perf_counter()
            decoded = decode_photo(photo.read_bytes())
            rendered = pipeline.render(decoded.rgb, pipeline.detect(decoded.rgb, model, model.input_wh, settings, model.dynamic), settings)
            encode_photo(decoded, rendered.image, rendered.regions)
            times.append((time.perf_counter() - started) * 1000)
        out[photo.name] = median(times[1:])           # the first run warms the session up
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=3, help="passes over the sample photos")
    p.add_argument("--cold", type=int, default=3, help="cold starts to time")
    p.add_argument("--model", default=MODEL_FILE, help="ONNX file, relative to the repo")
    p.add_argument("--json", type=Path, help="also write the raw numbers here")
    a = p.parse_args()
    photos = sorted(p for p in MEDIA.iterdir() if p.suffix in (".png", ".jpg"))
    query = f"?model={a.model}"
    with local_site(extra=("build/models/",)) as url, chromium() as browser:
        cold = cold_starts(browser, url, query, a.cold)
        info, bare, per_photo = page_stages(browser, url, query, photos, a.repeat)
    cli = cli_times(photos, a.repeat, REPO_ROOT / a.model)

    print(f"model {a.model}, input {info['input_wh']}, onnxruntime-web wasm, {info['threads']} thread(s)")
    print(f"cold start, navigation to ready: median {median(cold):.0f} ms  (runs: {', '.join(f'{t:.0f}' for t in cold)})")
    print(f"bare session.run: median {median(bare):.1f} ms over {len(bare)} runs")
    print()
    header = f"{'photo':<20}{'size':>10}" + "".join(f"{s:>12}" for s in STAGES) + f"{'other/run':>11}{'CLI':>9}"
    print("page, per photo, median ms of", a.repeat, "passes")
    print(header)
    ratios, sizes = [], {}
    for photo in photos:
        from PIL import Image
        with Image.open(photo) as img:
            sizes[photo.name] = f"{img.width}x{img.height}"
        med = {s: median(per_photo[photo.name][s]) for s in STAGES}
        other = sum(v for s, v in med.items() if s != "run")
        ratios.append(other / med["run"])
        print(f"{photo.name:<20}{sizes[photo.name]:>10}" + "".join(f"{med[s]:>12.1f}" for s in STAGES)
              + f"{other / med['run']:>10.0%}{cli[photo.name]:>9.0f}")
    print(f"\nmedian share of everything but session.run, relative to session.run: {median(ratios):.0%} (target <= 15%)")
    print(f"CLI (CPython, onnxruntime CPU) per photo: median {median(list(cli.values())):.0f} ms")
    if a.json:
        a.json.write_text(json.dumps({"cold_ms": cold, "bare_run_ms": bare, "page": per_photo, "cli_ms": cli,
                                      "info": info}, indent=1))


if __name__ == "__main__":
    main()
