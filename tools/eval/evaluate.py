"""Score a plate detector through the app's own inference path (letterbox, decoding, NMS, tiling,
threshold, padding): recall, 'covered' (the privacy metric) and false regions on plate-free photos,
overall, by source and by plate size.

    .venv/bin/python -m tools.eval.evaluate                                  # shipped model, val split
    .venv/bin/python -m tools.eval.evaluate --model build/models/plates-480.onnx --negatives build/negatives/val
    .venv/bin/python -m tools.eval.evaluate --data ../shared/media/plates.json --json
    .venv/bin/python -m tools.eval.evaluate --hard          # also the hard-case set (tools/eval/hardcases.py)
    .venv-train/bin/python -m tools.eval.evaluate --model ../shared/models/plates-ref-v2.pt --imgsz 480

Needs only onnxruntime and plateblur (a .pt also needs ultralytics: run it with .venv-train)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from plateblur.cpython.assets import model_path
from plateblur.settings import MODEL_FILE, Settings
from tools import REPO_ROOT

from .data import DEFAULT_DATA, load_labelled, load_negatives, load_yolo
from .hardcases import DEFAULT_OUT as DEFAULT_HARD
from .inference import DEFAULT_CACHE, Detector, build_result, infer, regions_for
from .metrics import score_photo
from .report import format_result

DEFAULTS = Settings()
DEFAULT_NEGATIVES = REPO_ROOT / "build" / "negatives" / "val"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--model", type=Path, default=model_path(MODEL_FILE), help="detector: .onnx, or .pt (needs ultralytics)")
    p.add_argument("--imgsz", type=int, default=640, help="input size a .pt is exported at (an .onnx has its own)")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA,
                   help="YOLO dataset root (images/<split>, labels/<split>), a folder with images/ and labels/, "
                        "or a plates.json")
    p.add_argument("--split", default="val", help="split of a YOLO dataset root")
    p.add_argument("--negatives", type=Path, default=None,
                   help=f"folder of plate-free photos (default: {DEFAULT_NEGATIVES.relative_to(REPO_ROOT)} if it exists; "
                        "make it with tools/eval/make_negatives.py)")
    p.add_argument("--no-negatives", action="store_true", help="skip the plate-free photos")
    p.add_argument("--hard", type=Path, nargs="?", const=DEFAULT_HARD, default=None,
                   help=f"also score the hard-case set, beside the data (default folder: "
                        f"{DEFAULT_HARD.relative_to(REPO_ROOT)}; make it with python -m tools.eval.hardcases)")
    p.add_argument("--conf", type=float, default=DEFAULTS.conf, help="detection threshold, as the app's")
    p.add_argument("--pad", type=float, default=DEFAULTS.pad, help="padding share, as the app's")
    p.add_argument("--max-downscale", type=float, default=DEFAULTS.max_downscale,
                   help="tiling threshold, as the app's; below 1 (experimental, the app refuses it) small "
                        "photos are also searched in upscaled tiles")
    p.add_argument("--iou", type=float, default=DEFAULTS.iou, help="NMS overlap, as the app's")
    p.add_argument("--thorough", action="store_true",
                   help="as the app's thorough mode: also search each photo turned a quarter each way")
    p.add_argument("--limit", type=int, default=None, help="only the first N labelled photos")
    p.add_argument("--threads", type=int, default=0, help="onnxruntime intra-op threads (0: all cores)")
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where model outputs are cached")
    p.add_argument("--no-cache", action="store_true", help="always run the model")
    p.add_argument("--json", action="store_true", help="print the result as JSON instead of tables")
    p.add_argument("--out", type=Path, default=None, help="also write the JSON result to this file")
    p.add_argument("--details", action="store_true",
                   help="add to the JSON the photos with a plate not covered and the plate-free photos with regions")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return p.parse_args(argv)


def details(samples, inferred, negatives, inferred_neg, settings) -> dict:
    """Per-photo records worth looking at: missed (not covered) plates and false regions."""
    missed, false = [], []
    for sample, inf in zip(samples, inferred):
        r = regions_for(inf, settings)
        s = score_photo(sample.name, sample.source, sample.boxes, r.detections.xyxy, r.detections.confidence, r.regions)
        if not s.covered.all():
            missed.append({"photo": str(sample.path), "uncovered": sample.boxes[~s.covered].round(1).tolist(),
                           "regions": r.regions.tolist(), "best_candidates": inf.detections[:5].to_rows()})
    for sample, inf in zip(negatives, inferred_neg):
        r = regions_for(inf, settings)
        if len(r.regions):
            false.append({"photo": str(sample.path), "detections": r.detections.to_rows()})
    return {"not_covered": missed, "false_regions": false}


def main(argv=None) -> int:
    a = parse_args(argv)
    if not a.model.is_file():
        sys.exit(f"evaluate: model not found: {a.model}")
    try:
        settings = DEFAULTS.updated(conf=a.conf, pad=a.pad, iou=a.iou, max_downscale=max(1.0, a.max_downscale),
                                    thorough=a.thorough)
    except ValueError as exc:
        sys.exit(f"evaluate: {exc}")
    if a.max_downscale <= 0:
        sys.exit("evaluate: --max-downscale must be above 0")
    try:
        samples = load_labelled(a.data, a.split)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        sys.exit(f"evaluate: {exc}")
    if a.limit:
        samples = samples[:a.limit]
    negatives_dir = None if a.no_negatives else (a.negatives or (DEFAULT_NEGATIVES if DEFAULT_NEGATIVES.is_dir() else None))
    if negatives_dir is not None and not negatives_dir.is_dir():
        sys.exit(f"evaluate: negatives folder not found: {negatives_dir}")
    negatives = load_negatives(negatives_dir) if negatives_dir else []

    detector = Detector(a.model, a.threads, a.imgsz)
    cache = None if a.no_cache else a.cache
    log = not a.quiet
    if log:
        print(f"evaluate: {len(samples)} labelled photos" + (f", {len(negatives)} plate-free" if negatives else ""),
              file=sys.stderr)
    inferred = infer(samples, detector, a.max_downscale, settings.iou, cache, log, settings.turns)
    inferred_neg = infer(negatives, detector, a.max_downscale, settings.iou, cache, log, settings.turns) if negatives else []
    data = {"path": str(a.data), "split": a.split if a.data.is_dir() else "-"}
    neg_data = {"path": str(negatives_dir)} if negatives_dir else None
    result = build_result(detector, settings, a.max_downscale, data, samples, inferred, neg_data, negatives, inferred_neg)
    if detector.run_seconds:
        runs = sorted(detector.run_seconds)
        result["timing"] = {"model_runs": len(runs), "median_run_ms": round(1000 * runs[len(runs) // 2], 1),
                            "note": "onnxruntime CPU on the machine that ran this, uncached photos only"}
    if a.details:
        result["details"] = details(samples, inferred, negatives, inferred_neg, settings)
    if a.hard:
        if not (a.hard / "images").is_dir():
            sys.exit(f"evaluate: no hard-case set in {a.hard}: make it with python -m tools.eval.hardcases")
        hard = load_yolo(a.hard)
        result["hard"] = build_result(detector, settings, a.max_downscale, {"path": str(a.hard), "split": "-"},
                                      hard, infer(hard, detector, a.max_downscale, settings.iou, cache, log, settings.turns),
                                      None, [], [])
    text = json.dumps(result, indent=1)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(text + "\n")
    print(text if a.json else format_result(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
