"""Build a reproducible set of plate-free photos (the negatives) by cutting crops out of the
dataset's photos away from every labelled plate.

    .venv/bin/python -m tools.eval.make_negatives                  # val split  -> build/negatives/val
    .venv/bin/python -m tools.eval.make_negatives --split train    # train split -> build/negatives/train

Each crop is the largest square (or 4:3 / 3:4) window, at least --min-side px on its short side, that
a seeded random search finds clear of every labelled plate grown by a margin (--margin-share of the
plate's larger side, at least --margin-px). Crops are written losslessly as PNG, with manifest.json
(seed, rules, and for each crop the photo and window it came from). Same arguments, same files.

Which split: val by default. The detector never trained on val pixels, so its false regions there are
honest; the train split's plate-free areas were shown to the model as background during training,
which flatters the count. Val crops are only evaluated, never trained on, so val stays clean.
Caveat: several sources label only one plate per photo, so a crop can hold an unlabelled plate. Crops
listed under "plate" in --review (tools/eval/negatives-review.json: crops looked at by eye where the reference
model fired) are left out; unreviewed crops may still hold one, so false regions are an upper bound."""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from tools import REPO_ROOT

from .data import DEFAULT_DATA, load_yolo

ASPECTS = (1.0, 4 / 3, 3 / 4)   # width / height


def grown(boxes: np.ndarray, share: float, min_px: float) -> np.ndarray:
    side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    m = np.maximum(side * share, min_px)[:, None]
    return np.concatenate([boxes[:, :2] - m, boxes[:, 2:] + m], axis=1)


def clear(window: tuple[int, int, int, int], forbidden: np.ndarray) -> bool:
    x1, y1, x2, y2 = window
    if not len(forbidden):
        return True
    overlap = ((forbidden[:, 0] < x2) & (forbidden[:, 2] > x1) & (forbidden[:, 1] < y2) & (forbidden[:, 3] > y1))
    return not overlap.any()


def find_crops(size_wh: tuple[int, int], forbidden: np.ndarray, rng: np.random.Generator, min_side: int,
               count: int, tries: int = 40, max_overlap: float = 0.25) -> list[tuple[int, int, int, int]]:
    """Up to ``count`` windows clear of ``forbidden``, largest first: short sides from the photo's
    short side down to ``min_side`` in 32 px steps, ``tries`` random places per size and aspect.
    Later windows overlap earlier ones by at most ``max_overlap`` of their area."""
    w, h = size_wh
    found: list[tuple[int, int, int, int]] = []
    for short in range(min(w, h), min_side - 1, -32):
        for aspect in rng.permutation(ASPECTS):
            cw, ch = (round(short * aspect), short) if aspect >= 1 else (short, round(short / aspect))
            if cw > w or ch > h:
                continue
            for _ in range(tries):
                x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
                win = (x, y, x + cw, y + ch)
                if not clear(win, forbidden):
                    continue
                if any(_overlap_share(win, f) > max_overlap for f in found):
                    continue
                found.append(win)
                if len(found) >= count:
                    return found
    return found


def _overlap_share(a, b) -> float:
    iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    return iw * ih / ((a[2] - a[0]) * (a[3] - a[1]))


def photo_rng(seed: int, name: str) -> np.random.Generator:
    """A generator per photo, so a crop does not depend on which other photos were processed."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="YOLO dataset root")
    p.add_argument("--split", default="val", help="which split's photos to cut")
    p.add_argument("--out", type=Path, default=None, help="output folder (default build/negatives/<split>)")
    p.add_argument("--count", type=int, default=400, help="at most this many crops in all")
    p.add_argument("--per-photo", type=int, default=2, help="at most this many crops from one photo")
    p.add_argument("--min-side", type=int, default=256, help="shortest allowed crop side, px")
    p.add_argument("--margin-share", type=float, default=0.5,
                   help="clearance around each plate, as a share of the plate's larger side")
    p.add_argument("--margin-px", type=float, default=16, help="at least this clearance, px")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--review", type=Path, default=Path(__file__).resolve().parent / "negatives-review.json",
                   help="crops judged by eye to show a real plate are left out (matched by photo and window)")
    p.add_argument("--no-review", action="store_true", help="keep every crop")
    a = p.parse_args(argv)
    excluded = set()
    if not a.no_review and a.review.is_file():
        excluded = {(r["from"], tuple(r["box"])) for r in json.loads(a.review.read_text())["plate"]}
    out = a.out or REPO_ROOT / "build" / "negatives" / a.split

    samples = load_yolo(a.data, a.split)
    order = photo_rng(a.seed, "order").permutation(len(samples))   # which photos when --count binds
    crops, dropped = [], []
    for i in order:
        sample = samples[i]
        with Image.open(sample.path) as img:
            size = img.size
        windows = find_crops(size, grown(sample.boxes, a.margin_share, a.margin_px), photo_rng(a.seed, sample.name),
                             a.min_side, a.per_photo)
        for k, win in enumerate(windows):
            crop = {"file": f"{sample.path.stem}_c{k}.png", "from": sample.name, "box": list(win),
                    "photo_wh": list(size), "labelled_plates": len(sample.boxes)}
            (dropped if (sample.name, tuple(win)) in excluded else crops).append(crop)
        if len(crops) >= a.count:
            crops = crops[:a.count]
            break
    if out.exists():
        for old in out.glob("*.png"):
            old.unlink()
    out.mkdir(parents=True, exist_ok=True)
    for c in crops:
        with Image.open(a.data / "images" / a.split / c["from"]) as img:
            img.convert("RGB").crop(tuple(c["box"])).save(out / c["file"], compress_level=6)
    manifest = {"seed": a.seed, "split": a.split, "data": str(a.data), "min_side": a.min_side,
                "margin_share": a.margin_share, "margin_px": a.margin_px, "per_photo": a.per_photo,
                "photos_seen": len(samples), "review": None if a.no_review or not a.review.is_file() else str(a.review),
                "left_out_by_review": sorted(c["file"] for c in dropped),
                "crops": sorted(crops, key=lambda c: c["file"])}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    sources = {}
    for c in crops:
        sources[c["from"].split("_")[0]] = sources.get(c["from"].split("_")[0], 0) + 1
    print(f"make_negatives: {len(crops)} crops from the {a.split} split into {out} "
          f"({', '.join(f'{k} {v}' for k, v in sorted(sources.items()))}); {len(dropped)} left out by the review")
    return 0


if __name__ == "__main__":
    sys.exit(main())
