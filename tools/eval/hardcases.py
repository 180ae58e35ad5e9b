"""The hard-case set: photos never trained on (the val split and the sample photos), made harder the way
the detector fails in use: turned a quarter (90° and 270°: a sideways video), darkened like night,
streaked like rain, plates partly behind bars or a mesh gate, and shrunk (small plates).

    .venv/bin/python -m tools.eval.hardcases                      # writes build/hardcases/{images,labels}
    .venv/bin/python -m tools.eval.evaluate --hard                # val, and this set beside it

Each file is named ``<transform>-<original>``, so the evaluation's "by source" rows are per transform.
Deterministic: the same photos and the same random streaks and bars on every run (seeded per photo)."""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from plateblur.boxes import turn_boxes
from tools import REPO_ROOT, SHARED

from .data import DEFAULT_DATA, Sample, load_plates_json, load_yolo

DEFAULT_OUT = REPO_ROOT / "build" / "hardcases"
SMALL_SCALE = 0.4            # "small": the whole photo shrunk to this share of its size
MIN_PLATE_PX = 16            # photos are taken only if they have a plate at least this wide


def rotate(image: Image.Image, boxes: np.ndarray, quarter_turns: int) -> tuple[Image.Image, np.ndarray]:
    """Turn the photo counter-clockwise by 90° x ``quarter_turns`` and its boxes with it."""
    turned = Image.fromarray(np.rot90(np.asarray(image), quarter_turns))
    return turned, turn_boxes(boxes, image.size, quarter_turns).astype(np.float64)


def night(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Dark, bluish and grainy: gamma 1.8 at a third of the light, sensor noise."""
    a = np.asarray(image.convert("RGB"), np.float32) / 255
    a = (a ** 1.8) * 0.35 * np.array([0.85, 0.95, 1.15], np.float32)
    a += rng.normal(0, 0.02, a.shape).astype(np.float32)
    return Image.fromarray((np.clip(a, 0, 1) * 255).round().astype(np.uint8))


def rain(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Slanted light streaks over the whole photo, slightly softened, as through a wet windscreen."""
    w, h = image.size
    layer = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(layer)
    length = max(8, h // 12)
    for _ in range(w * h // 900):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        draw.line([(x, y), (x + length * 0.25, y + length)], fill=int(rng.uniform(90, 180)), width=1)
    streaks = np.asarray(layer.filter(ImageFilter.GaussianBlur(0.7)), np.float32)[..., None] / 255
    base = np.asarray(image.convert("RGB").filter(ImageFilter.GaussianBlur(0.8)), np.float32)
    return Image.fromarray(np.clip(base * (1 - 0.6 * streaks) + 235 * 0.6 * streaks, 0, 255).astype(np.uint8))


def bars(image: Image.Image, boxes: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Two or three dark vertical bars across each plate (a fence, a trailer's frame): the plate
    stays mostly visible, so it must still be found and hidden."""
    out = image.convert("RGB").copy()
    draw = ImageDraw.Draw(out)
    for x1, y1, x2, y2 in boxes:
        bw = x2 - x1
        n = int(rng.integers(2, 4))
        width = max(1.0, 0.08 * bw)
        for i in range(n):
            cx = x1 + bw * (i + 1) / (n + 1) + rng.uniform(-0.05, 0.05) * bw
            draw.rectangle([cx - width / 2, y1 - 0.6 * (y2 - y1), cx + width / 2, y2 + 0.6 * (y2 - y1)], fill=(25, 25, 25))
    return out


def mesh(image: Image.Image, boxes: np.ndarray) -> Image.Image:
    """A diagonal wire mesh over and around each plate (a trailer's mesh gate)."""
    out = image.convert("RGB").copy()
    draw = ImageDraw.Draw(out)
    for x1, y1, x2, y2 in boxes:
        bw, bh = x2 - x1, y2 - y1
        mx1, my1, mx2, my2 = x1 - 0.5 * bw, y1 - bh, x2 + 0.5 * bw, y2 + bh
        step = max(4.0, bh / 2.5)
        width = max(1, round(bh / 14))
        span = (mx2 - mx1) + (my2 - my1)
        for k in np.arange(0, span, step):
            draw.line([(mx1 + k, my1), (mx1 + k - (my2 - my1), my2)], fill=(60, 60, 60), width=width)
            draw.line([(mx1 + k - (my2 - my1), my1), (mx1 + k, my2)], fill=(60, 60, 60), width=width)
    return out


def small(image: Image.Image, boxes: np.ndarray) -> tuple[Image.Image, np.ndarray]:
    w, h = image.size
    size = (max(1, round(w * SMALL_SCALE)), max(1, round(h * SMALL_SCALE)))
    return image.resize(size, Image.Resampling.LANCZOS), boxes * np.array([size[0] / w, size[1] / h] * 2)


def variants(image: Image.Image, boxes: np.ndarray, seed: int) -> dict[str, tuple[Image.Image, np.ndarray]]:
    """Every hard variant of one photo: {transform: (image, boxes)}."""
    rng = np.random.default_rng(seed)
    return {"rot90": rotate(image, boxes, 1), "rot270": rotate(image, boxes, 3),
            "night": (night(image, rng), boxes), "rain": (rain(image, rng), boxes),
            "bars": (bars(image, boxes, rng), boxes), "mesh": (mesh(image, boxes), boxes),
            "small": small(image, boxes)}


def pick(samples: list[Sample], per_source: int) -> list[Sample]:
    """Up to ``per_source`` photos of each source with a plate >= MIN_PLATE_PX wide, spread over the
    source's photos (every k-th), so every source is in the set."""
    chosen = []
    by_source: dict[str, list[Sample]] = {}
    for s in samples:
        if len(s.boxes) and ((s.boxes[:, 2] - s.boxes[:, 0]) >= MIN_PLATE_PX).any():
            by_source.setdefault(s.source, []).append(s)
    for group in by_source.values():
        step = max(1, len(group) // per_source)
        chosen += group[::step][:per_source]
    return chosen


def yolo_lines(boxes: np.ndarray, size_wh: tuple[int, int]) -> str:
    w, h = size_wh
    b = np.clip(boxes, 0, [w, h, w, h])
    return "".join(f"0 {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}\n"
                   for x1, y1, x2, y2 in b if x2 > x1 and y2 > y1)


def build(out: Path, samples: list[Sample]) -> dict:
    images, labels = out / "images", out / "labels"
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    manifest = []
    for sample in samples:
        seed = int(hashlib.sha256(sample.path.name.encode()).hexdigest()[:8], 16)
        with Image.open(sample.path) as img:
            image = ImageOps.exif_transpose(img).convert("RGB")
        for transform, (variant, boxes) in variants(image, sample.boxes, seed).items():
            name = f"{transform}-{sample.path.stem}"
            variant.save(images / f"{name}.jpg", quality=92)
            (labels / f"{name}.txt").write_text(yolo_lines(boxes, variant.size))
            manifest.append({"file": f"{name}.jpg", "transform": transform, "from": str(sample.path),
                             "plates": int(len(boxes))})
    summary = {"photos": len(samples), "files": len(manifest), "items": manifest}
    (out / "manifest.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--per-source", type=int, default=15, help="val photos taken from each source")
    a = p.parse_args(argv)
    samples = pick(load_yolo(DEFAULT_DATA, "val"), a.per_source) + load_plates_json(SHARED / "media" / "plates.json")
    samples = [s for s in samples if len(s.boxes)]
    summary = build(a.out, samples)
    print(f"hardcases: {summary['files']} photos from {summary['photos']} originals in {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
