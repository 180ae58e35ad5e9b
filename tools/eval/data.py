"""Labelled photos for evaluation: a YOLO folder, a plates.json, or a folder of plate-free photos.

A ``Sample`` carries its labelled boxes in the photo's own pixels (xyxy) and a source name, taken
from the file-name prefix (``openlpr_00012.webp`` -> ``openlpr``) or from plates.json's ``source``."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from tools import SHARED

DEFAULT_DATA = SHARED / "data" / "plates"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


@dataclass(frozen=True)
class Sample:
    """``boxes`` float64 (G, 4) xyxy in the photo's pixels; (0, 4) for a plate-free photo."""

    path: Path
    boxes: np.ndarray
    source: str

    @property
    def name(self) -> str:
        return self.path.name


def source_of(name: str) -> str:
    """File-name prefix up to the first ``_`` or ``-`` (or the stem when there is none)."""
    return re.split(r"[_\-]", Path(name).stem, maxsplit=1)[0]


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def read_yolo_labels(path: Path, size_wh: tuple[int, int]) -> np.ndarray:
    """``class cx cy w h`` lines (normalised) -> xyxy pixels; a missing file means no plate."""
    w, h = size_wh
    rows = []
    if path.is_file():
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 5:
                cx, cy, bw, bh = (float(v) for v in parts[1:5])
                rows.append([(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h])
    return np.asarray(rows, dtype=np.float64).reshape(-1, 4)


def resolve_yolo(data: Path, split: str) -> tuple[Path, Path]:
    """The images and labels folders of ``data``: a dataset root (images/<split>, labels/<split>),
    a folder with images/ and labels/, or an images folder whose labels sit at the same place
    under labels/ (Ultralytics' rule)."""
    candidates = [(data / "images" / split, data / "labels" / split), (data / "images", data / "labels")]
    if "images" in data.parts:
        i = len(data.parts) - 1 - data.parts[::-1].index("images")
        candidates.append((data, Path(*data.parts[:i], "labels", *data.parts[i + 1:])))
    for images, labels in candidates:
        if images.is_dir() and labels.is_dir() and image_files(images):
            return images, labels
    raise FileNotFoundError(f"no YOLO images/ and labels/ folders found in {data} (split {split!r})")


def load_yolo(data: Path, split: str = "val") -> list[Sample]:
    images, labels = resolve_yolo(data, split)
    samples = []
    for path in image_files(images):
        with Image.open(path) as img:
            size = img.size
        samples.append(Sample(path, read_yolo_labels(labels / f"{path.stem}.txt", size), source_of(path.name)))
    return samples


def load_plates_json(path: Path) -> list[Sample]:
    """``[{"file", "plates_xyxy", "source"?}, ...]``; images next to the JSON file."""
    records = json.loads(path.read_text())
    return [Sample(path.parent / r["file"], np.asarray(r.get("plates_xyxy", []), dtype=np.float64).reshape(-1, 4),
                   r.get("source") or source_of(r["file"])) for r in records]


def load_labelled(data: Path, split: str = "val") -> list[Sample]:
    if data.is_file() and data.suffix.lower() == ".json":
        return load_plates_json(data)
    return load_yolo(data, split)


def load_negatives(folder: Path) -> list[Sample]:
    """Plate-free photos. If the folder has the ``manifest.json`` that make_negatives.py writes,
    each photo's source is the source of the photo it was cut from."""
    manifest = folder / "manifest.json"
    sources = {}
    if manifest.is_file():
        sources = {c["file"]: source_of(c["from"]) for c in json.loads(manifest.read_text())["crops"]}
    return [Sample(p, np.zeros((0, 4)), sources.get(p.name, source_of(p.name))) for p in image_files(folder)]
