"""Sweep the app's settings (threshold, padding, tiling) for one or more detectors on the val split:
one table row per combination, the model run once per detector and tiling value (cached).

    .venv/bin/python -m tools.eval.sweep
    .venv/bin/python -m tools.eval.sweep --model build/models/plates-480.onnx --conf 0.1 0.15 --pad 0.15
    .venv/bin/python -m tools.eval.sweep --max-downscale 2 0.75 0.5 --out build/eval/sweep-tiling.json

A --max-downscale below 1 makes the pipeline also run on upscaled tiles of photos that already fit
the model input (the app's Settings refuses such values today; see the report)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from plateblur.cpython.assets import model_path
from plateblur.settings import MODEL_FILE, Settings
from tools import REPO_ROOT

from .data import DEFAULT_DATA, load_labelled, load_negatives
from .inference import DEFAULT_CACHE, Detector, build_result, infer
from .report import sweep_row, sweep_row_header

DEFAULT_NEGATIVES = REPO_ROOT / "build" / "negatives" / "val"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--model", type=Path, nargs="+", default=[model_path(MODEL_FILE)])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--split", default="val")
    p.add_argument("--negatives", type=Path, default=DEFAULT_NEGATIVES)
    p.add_argument("--conf", type=float, nargs="+", default=[0.05, 0.1, 0.15, 0.25])
    p.add_argument("--pad", type=float, nargs="+", default=[0.1, 0.15, 0.25])
    p.add_argument("--max-downscale", type=float, nargs="+", default=[2.0])
    p.add_argument("--imgsz", type=int, default=640, help="export size for a .pt model")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--out", type=Path, default=None, help="write every result as a JSON list here")
    p.add_argument("-q", "--quiet", action="store_true")
    a = p.parse_args(argv)

    samples = load_labelled(a.data, a.split)
    negatives = load_negatives(a.negatives) if a.negatives.is_dir() else []
    if not negatives:
        print(f"sweep: no negatives in {a.negatives} (tools/eval/make_negatives.py makes them)", file=sys.stderr)
    data = {"path": str(a.data), "split": a.split}
    results = []
    for model in a.model:
        detector = Detector(model, a.threads, a.imgsz)
        print(f"\n### {model} (input {detector.input_wh[0]}x{detector.input_wh[1]})\n")
        print("\n".join(sweep_row_header()))
        for md in a.max_downscale:
            inferred = infer(samples, detector, md, Settings().iou, a.cache, not a.quiet)
            inferred_neg = infer(negatives, detector, md, Settings().iou, a.cache, not a.quiet) if negatives else []
            for conf in a.conf:
                for pad in a.pad:
                    settings = Settings(conf=conf, pad=pad, max_downscale=max(1.0, md))
                    r = build_result(detector, settings, md, data, samples, inferred,
                                     {"path": str(a.negatives)} if negatives else None, negatives, inferred_neg)
                    results.append(r)
                    print(sweep_row(r), flush=True)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
