"""Extra training photos for the detector, made from the TRAIN split only (never val, never the sample
photos, which the hard-case set is made of): the ways the reference model fails in use, as data.

    python -m tools.eval.augment --data ../shared/data/plates --out build/augment   # then train.py --extra build/augment

Each train photo with a plate may give copies (seeded by its name, so every run makes the same set):
quarter-turned (90° or 270°: sideways video), night-like, rain-like, behind bars or a wire mesh (random
spacing, width and grey, so not the hard set's exact pattern), shrunk (small plates), and with plates cut
from other train photos pasted onto other surfaces (a truck's side, a wall) at random sizes. Written as
YOLO images/ + labels/ and a list.txt of the images, which train.py adds to the training list."""
from __future__ import annotations

import argparse
import hashlib
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from .data import DEFAULT_DATA, Sample, load_yolo
from .hardcases import night, rain, rotate, yolo_lines

# share of plate photos that get each kind of copy (independent draws)
SHARES = {"turn": 0.30, "night": 0.08, "rain": 0.08, "bars": 0.08, "mesh": 0.08, "small": 0.12, "paste": 0.20}


def bars(image: Image.Image, boxes: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Dark or light bars across each plate, vertical or horizontal, of random width and spacing."""
    out = image.convert("RGB").copy()
    draw = ImageDraw.Draw(out)
    for x1, y1, x2, y2 in boxes:
        bw, bh = x2 - x1, y2 - y1
        grey = int(rng.choice([rng.integers(10, 70), rng.integers(150, 220)]))
        n = int(rng.integers(2, 5))
        vertical = rng.random() < 0.75
        span, across = (bw, bh) if vertical else (bh, bw)
        width = max(1.0, rng.uniform(0.05, 0.12) * span)
        for i in range(n):
            c = span * (i + 1) / (n + 1) + rng.uniform(-0.06, 0.06) * span
            if vertical:
                draw.rectangle([x1 + c - width / 2, y1 - 0.6 * across, x1 + c + width / 2, y2 + 0.6 * across],
                               fill=(grey,) * 3)
            else:
                draw.rectangle([x1 - 0.3 * across, y1 + c - width / 2, x2 + 0.3 * across, y1 + c + width / 2],
                               fill=(grey,) * 3)
    return out


def mesh(image: Image.Image, boxes: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """A wire mesh over and around each plate: random cell size, wire width, grey and angle (diagonal or square)."""
    out = image.convert("RGB").copy()
    draw = ImageDraw.Draw(out)
    for x1, y1, x2, y2 in boxes:
        bw, bh = x2 - x1, y2 - y1
        mx1, my1, mx2, my2 = x1 - 0.5 * bw, y1 - bh, x2 + 0.5 * bw, y2 + bh
        step = max(4.0, bh / rng.uniform(1.8, 3.5))
        width = max(1, round(bh / rng.uniform(10, 20)))
        fill = (int(rng.integers(30, 140)),) * 3
        if rng.random() < 0.5:                                   # diagonal, as a trailer's gate
            span = (mx2 - mx1) + (my2 - my1)
            for k in np.arange(0, span, step):
                draw.line([(mx1 + k, my1), (mx1 + k - (my2 - my1), my2)], fill=fill, width=width)
                draw.line([(mx1 + k - (my2 - my1), my1), (mx1 + k, my2)], fill=fill, width=width)
        else:                                                    # square, as a fence
            for x in np.arange(mx1, mx2, step):
                draw.line([(x, my1), (x, my2)], fill=fill, width=width)
            for y in np.arange(my1, my2, step):
                draw.line([(mx1, y), (mx2, y)], fill=fill, width=width)
    return out


def shrink(image: Image.Image, boxes: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, np.ndarray]:
    scale = rng.uniform(0.3, 0.55)
    w, h = image.size
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return image.resize(size, Image.Resampling.LANCZOS), boxes * np.array([size[0] / w, size[1] / h] * 2)


def paste(image: Image.Image, boxes: np.ndarray, donors: list[Sample], rng: np.random.Generator
          ) -> tuple[Image.Image, np.ndarray]:
    """One to three plates cut from other train photos, pasted where this photo has no plate, 18 to 160 px
    wide, slightly darkened or lightened to the spot's light: plates away from the bumper."""
    out = image.convert("RGB").copy()
    w, h = out.size
    placed = [b for b in boxes]
    for _ in range(int(rng.integers(1, 4))):
        donor = donors[int(rng.integers(len(donors)))]
        big = [b for b in donor.boxes if b[2] - b[0] >= 24]
        if not big:
            continue
        x1, y1, x2, y2 = big[int(rng.integers(len(big)))]
        with Image.open(donor.path) as d:
            crop = ImageOps.exif_transpose(d).convert("RGB").crop((int(x1), int(y1), int(np.ceil(x2)), int(np.ceil(y2))))
        target_w = min(rng.uniform(18, 160), w * 0.4)
        cw, ch = max(1, round(target_w)), max(1, round(target_w * crop.height / max(1, crop.width)))
        if cw >= w or ch >= h:
            continue
        crop = crop.resize((cw, ch), Image.Resampling.LANCZOS)
        for _try in range(10):
            px, py = int(rng.integers(0, w - cw)), int(rng.integers(0, h - ch))
            new = np.array([px, py, px + cw, py + ch], np.float64)
            if all(new[2] < b[0] or new[0] > b[2] or new[3] < b[1] or new[1] > b[3] for b in placed):
                spot = np.asarray(out.crop((px, py, px + cw, py + ch)), np.float32).mean()
                gain = np.clip(0.6 + 0.4 * spot / 128, 0.5, 1.2)
                crop = Image.fromarray(np.clip(np.asarray(crop, np.float32) * gain, 0, 255).astype(np.uint8))
                out.paste(crop, (px, py))
                placed.append(new)
                break
    return out, np.asarray(placed, np.float64).reshape(-1, 4)


def copies(sample: Sample, donors: list[Sample]) -> dict[str, tuple[Image.Image, np.ndarray]]:
    seed = int(hashlib.sha256(sample.path.name.encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(seed)
    draws = {kind: rng.random() < share for kind, share in SHARES.items()}
    with Image.open(sample.path) as img:
        image = ImageOps.exif_transpose(img).convert("RGB")
    boxes = sample.boxes
    out = {}
    if draws["turn"]:
        out["turn"] = rotate(image, boxes, int(rng.choice([1, 3])))
    if draws["night"]:
        out["night"] = (night(image, rng), boxes)
    if draws["rain"]:
        out["rain"] = (rain(image, rng), boxes)
    if draws["bars"]:
        out["bars"] = (bars(image, boxes, rng), boxes)
    if draws["mesh"]:
        out["mesh"] = (mesh(image, boxes, rng), boxes)
    if draws["small"] and (boxes[:, 2] - boxes[:, 0]).max() >= 40:
        out["small"] = shrink(image, boxes, rng)
    if draws["paste"]:
        out["paste"] = paste(image, boxes, donors, rng)
    return out


def copy_name(kind: str, original: Path) -> str:
    """The file stem of a copy: ``aug<kind>-<original stem>``."""
    return f"aug{kind}-{original.stem}"


def parse_copy(path: Path) -> tuple[str, str]:
    """(kind, original stem) of a copy's file."""
    head, original = Path(path).stem.split("-", 1)
    return head[3:], original


_DONORS: list[Sample] = []


def _set_donors(donors: list[Sample]) -> None:
    global _DONORS
    _DONORS = donors


def _write(job: tuple[Sample, Path]) -> list[str]:
    sample, out = job
    written = []
    for kind, (image, boxes) in copies(sample, _DONORS).items():
        name = copy_name(kind, sample.path)
        image.save(out / "images" / f"{name}.jpg", quality=90)
        (out / "labels" / f"{name}.txt").write_text(yolo_lines(boxes, image.size))
        written.append(str((out / "images" / f"{name}.jpg").resolve()))
    return written


def build(data: Path, out: Path, workers: int, limit: int | None = None) -> list[str]:
    samples = [s for s in load_yolo(data, "train") if len(s.boxes)]
    if limit:
        samples = samples[:limit]
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(workers, initializer=_set_donors, initargs=(samples,)) as pool:
        lists = list(pool.map(_write, [(s, out) for s in samples], chunksize=32))
    written = sorted(p for group in lists for p in group)
    (out / "list.txt").write_text("".join(f"{p}\n" for p in written))
    return written


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--limit", type=int, default=None, help="only the first N plate photos (a smoke run)")
    a = p.parse_args(argv)
    written = build(a.data, a.out, a.workers, a.limit)
    kinds = {}
    for f in written:
        kind = parse_copy(Path(f))[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"augment: {len(written)} extra photos in {a.out} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
