"""Screen plate-free crops (tools/eval/make_negatives.py --split train) before they become background
photos for training (tools/eval/train.py --background).

    .venv/bin/python -m tools.eval.background build/negatives/train --model models/plates-v3-dynamic.onnx --below 0.2

Why screen: several sources label only one plate per photo, so a crop "clear of every labelled plate"
can still show an unlabelled one (31 of 283 val crops did, by eye). Trained as background, such a crop
would teach the detector to miss real plates: a leak. A crop is kept only if the model's best score
on it is under --below; the false regions worth training away sit lower than that (run it on the val
crops with --review to see where the plates judged by eye score: 24 of the first 30 score 0.2 or more). Writes <folder>/list.txt (the kept
crops, absolute paths) and <folder>/screen.json (every crop's best score, the rule, the model), each
written to a temporary file and renamed when complete."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from plateblur.cpython.outputs import write_atomic

from .data import load_negatives
from .inference import Detector, infer


def best_scores(folder: Path, model: Path, max_downscale: float = 2.0, iou: float = 0.5) -> dict[str, float]:
    """Each crop's highest candidate score, through the app's own path (tiling, NMS)."""
    samples = load_negatives(folder)
    inferred = infer(samples, Detector(model), max_downscale, iou)
    return {s.path.name: float(i.detections.confidence.max(initial=0.0)) for s, i in zip(samples, inferred)}


def review_table(scores: dict[str, float], review: dict, cuts: list[float]) -> list[str]:
    """How many crops judged by eye as 'plate' and as not a plate score at or above each cut."""
    plate = {r["file"] for r in review["plate"]}
    not_plate = {r["file"] for r in review["no_plate"] + review["kept"]}
    lines = ["cut | plate crops at or above (of %d scored) | non-plate crops at or above (of %d scored)"
             % (len(plate & scores.keys()), len(not_plate & scores.keys()))]
    for cut in cuts:
        hi_plate = sum(scores[f] >= cut for f in plate if f in scores)
        hi_not = sum(scores[f] >= cut for f in not_plate if f in scores)
        lines.append(f"{cut:.2f} | {hi_plate} | {hi_not}")
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("folder", type=Path, help="crops made by make_negatives.py (with its manifest.json)")
    p.add_argument("--model", type=Path, required=True, help="ONNX detector that screens the crops")
    p.add_argument("--below", type=float, default=0.2, help="keep a crop only if its best score is under this")
    p.add_argument("--review", type=Path, default=None,
                   help="negatives-review.json: print how its 'plate' and not-plate crops score, write nothing")
    a = p.parse_args(argv)
    if not (a.folder / "manifest.json").is_file():
        raise SystemExit(f"background: {a.folder} has no manifest.json (make it with tools/eval/make_negatives.py)")
    scores = best_scores(a.folder, a.model)
    if a.review:
        print("\n".join(review_table(scores, json.loads(a.review.read_text()), [0.05, 0.1, 0.2, 0.3, 0.4, 0.5])))
        return 0
    kept = sorted(f for f, s in scores.items() if s < a.below)
    write_atomic(a.folder / "list.txt", "".join(f"{(a.folder / f).resolve()}\n" for f in kept).encode(), overwrite=True)
    record = {"model": str(a.model), "below": a.below, "kept": len(kept), "dropped": len(scores) - len(kept),
              "best_score": {f: round(s, 4) for f, s in sorted(scores.items())}}
    write_atomic(a.folder / "screen.json", (json.dumps(record, indent=1) + "\n").encode(), overwrite=True)
    fired = sum(s >= 0.05 for s in scores.values())
    print(f"background: kept {len(kept)} of {len(scores)} crops (best score < {a.below}); "
          f"{fired} had a candidate >= 0.05 (the app's default threshold); list in {a.folder / 'list.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
