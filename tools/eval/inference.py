"""Running a detector over samples through the app's own path, with a cache, and scoring the result.

Detection is ``pipeline.prepare`` -> model -> ``pipeline.finish`` (letterbox, YOLO decoding, tiling,
NMS; candidates kept down to DETECTION_FLOOR), exactly what ``pipeline.detect`` does. Scoring is
``pipeline.render`` at the given Settings, whose ``.detections`` and ``.regions`` are what the app
keeps and obscures. Only ``finish``'s output is cached, so threshold and padding sweeps never rerun the
model; the cache key includes the model's and the core's hashes, so a change to either misses it."""
from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from plateblur import pipeline
from plateblur.detections import Detections
from plateblur.imageio import decode_photo
from plateblur.cpython.onnx_model import OnnxModel
from plateblur.preprocess import input_for
from plateblur.settings import Settings

from tools import REPO_ROOT

from .data import Sample
from .metrics import Summary, score_photo

DEFAULT_CACHE = REPO_ROOT / "build" / "cache" / "detections"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def core_files() -> list[Path]:
    """Every module of the core: the plateblur package's .py files outside browser/ (the page's adapter)."""
    package = Path(pipeline.__file__).parent
    return sorted(p for p in package.rglob("*.py") if "browser" not in p.relative_to(package).parts)


def _core_hash() -> str:
    package = Path(pipeline.__file__).parent
    h = hashlib.sha256()
    for path in core_files():
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "log", "-1", "--format=%H", "--", "py/plateblur"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "py/plateblur"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0 or not out.stdout.strip():
        return None
    changed = any("py/plateblur/browser/" not in line for line in dirty.stdout.splitlines())
    return out.stdout.strip()[:12] + ("+uncommitted" if changed else "")


CORE_HASH = _core_hash()   # of the core as imported, so a later edit of the files cannot mislabel results


def core_hash() -> str:
    return CORE_HASH


class Detector:
    """An ONNX detector (or an Ultralytics .pt, exported to a temporary ONNX first) behind the
    app's ``OnnxModel``. ``imgsz``: the size a .pt is exported at, or the long side an ONNX with dynamic
    height and width runs at (a fixed-shape ONNX has its own)."""

    def __init__(self, path: Path, threads: int = 0, imgsz: int = 640):
        self.source_path = Path(path)
        self._tmp = None
        if self.source_path.suffix.lower() == ".pt":
            from .export import UltralyticsMissing, export_onnx
            self._tmp = tempfile.TemporaryDirectory(prefix="plateblur-eval-")
            try:
                onnx_path = export_onnx(self.source_path, Path(self._tmp.name) / f"{self.source_path.stem}.onnx", imgsz)
            except UltralyticsMissing as exc:
                raise SystemExit(f"evaluate: {exc}") from None
        else:
            onnx_path = self.source_path
        self.onnx_path = onnx_path
        self.sha256 = file_sha256(onnx_path)
        self.model = OnnxModel(onnx_path, threads, side=imgsz)
        self.input_wh, self.dynamic = self.model.input_wh, self.model.dynamic
        self.run_seconds: list[float] = []

    def __call__(self, tensor: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        out = self.model(tensor)
        self.run_seconds.append(time.perf_counter() - started)
        return out

    def describe(self) -> dict:
        return {"path": str(self.source_path), "onnx_sha256": self.sha256, "input_wh": list(self.input_wh), "dynamic": self.dynamic,
                "onnx_bytes": self.onnx_path.stat().st_size}


@dataclass(frozen=True)
class Inferred:
    """``finish``'s output for one sample (all candidates down to the floor) and the photo's size."""

    detections: Detections
    size_wh: tuple[int, int]


class DetectionCache:
    """One .npz per (model, input size, max_downscale, iou, turns, core hash); entries keyed by the
    sha1 of the image file's bytes."""

    def __init__(self, folder: Path | None, detector: Detector, max_downscale: float, iou: float,
                 turns: tuple[int, ...] = (0,)):
        self.path = None
        self.entries: dict[str, np.ndarray] = {}
        self.dirty = False
        if folder is None:
            return
        w, h = detector.input_wh
        turned = "" if turns == (0,) else "-turns" + "".join(map(str, turns))
        self.path = Path(folder) / (f"{detector.sha256[:16]}-{w}x{h}{'-dyn' if detector.dynamic else ''}"
                                    f"-md{max_downscale:g}-iou{iou:g}{turned}-{core_hash()}.npz")
        if self.path.is_file():
            with np.load(self.path) as z:
                self.entries = {k: z[k] for k in z.files}

    def get(self, key: str) -> Inferred | None:
        row = self.entries.get(key)
        if row is None:
            return None
        size = (int(row[0, 0]), int(row[0, 1]))
        return Inferred(Detections(row[1:, :4], row[1:, 4]), size)

    def put(self, key: str, inferred: Inferred) -> None:
        d = inferred.detections
        head = np.array([[*inferred.size_wh, 0, 0, 0]], dtype=np.float32)
        self.entries[key] = np.concatenate([head, np.concatenate([d.xyxy, d.confidence[:, None]], axis=1)])
        self.dirty = True

    def save(self) -> None:
        if self.path is not None and self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp.npz")
            np.savez(tmp, **self.entries)
            tmp.replace(self.path)
            self.dirty = False


def infer(samples: list[Sample], detector: Detector, max_downscale: float, iou: float,
          cache_dir: Path | None = DEFAULT_CACHE, progress: bool = True, turns: tuple[int, ...] = (0,)) -> list[Inferred]:
    """``finish``'s output for every sample, from the cache where possible. ``max_downscale`` goes
    straight to ``pipeline.prepare``, so values below 1 (upscaled tiles, which Settings refuses)
    can be tried here."""
    cache = DetectionCache(cache_dir, detector, max_downscale, iou, turns)
    out = []
    started = time.perf_counter()
    misses = 0
    for i, sample in enumerate(samples, 1):
        data = sample.path.read_bytes()
        key = hashlib.sha1(data).hexdigest()
        hit = cache.get(key)
        if hit is None:
            rgb = decode_photo(data).rgb
            jobs = pipeline.prepare(rgb, input_for((rgb.shape[1], rgb.shape[0]), detector.input_wh, detector.dynamic),
                                    max_downscale, turns)
            dets = pipeline.finish([detector(job.tensor) for job in jobs], jobs, iou)
            hit = Inferred(dets, (rgb.shape[1], rgb.shape[0]))
            cache.put(key, hit)
            misses += 1
            if misses % 100 == 0:
                cache.save()
        out.append(hit)
        if progress and (i % 50 == 0 or i == len(samples)):
            print(f"  {i}/{len(samples)} photos ({misses} run, {time.perf_counter() - started:.0f} s)",
                  file=sys.stderr, flush=True)
    cache.save()
    return out


def regions_for(inferred: Inferred, settings: Settings):
    """What the app keeps and obscures: ``pipeline.render`` on a blank frame of the photo's size
    (the regions do not depend on the pixels; ``fill`` is the cheapest obscurer)."""
    w, h = inferred.size_wh
    return pipeline.render(np.zeros((h, w, 3), np.uint8), inferred.detections, settings.updated(mode="fill"))


def score(samples: list[Sample], inferred: list[Inferred], settings: Settings,
          negatives: list[Sample] = (), inferred_negatives: list[Inferred] = ()) -> Summary:
    summary = Summary()
    for sample, inf in zip(samples, inferred):
        r = regions_for(inf, settings)
        summary.add(score_photo(sample.name, sample.source, sample.boxes, r.detections.xyxy,
                                r.detections.confidence, r.regions))
    for sample, inf in zip(negatives, inferred_negatives):
        summary.add_negative(sample.source, len(regions_for(inf, settings).regions))
    return summary


TARGETS = {"recall": 0.95, "covered": 0.99, "false_regions_per_negative": 0.1}


def check_targets(overall: dict, negatives: dict | None) -> dict:
    """The issue's targets at the given settings: covered >= 0.99, recall >= 0.95 and at most 0.1
    false regions per plate-free photo (unknown without negatives)."""
    out = {"recall": {"value": overall["recall"], "goal": f">= {TARGETS['recall']}"},
           "covered": {"value": overall["covered_rate"], "goal": f">= {TARGETS['covered']}"}}
    out["recall"]["met"] = overall["recall"] is not None and overall["recall"] >= TARGETS["recall"]
    out["covered"]["met"] = overall["covered_rate"] is not None and overall["covered_rate"] >= TARGETS["covered"]
    if negatives:
        v = negatives["regions_per_photo"]
        out["false_regions_per_negative"] = {"value": v, "goal": f"<= {TARGETS['false_regions_per_negative']}",
                                             "met": v <= TARGETS["false_regions_per_negative"]}
    return out


def build_result(detector: Detector, settings: Settings, max_downscale: float, data: dict,
                 samples: list[Sample], inferred: list[Inferred], negatives_data: dict | None = None,
                 negatives: list[Sample] = (), inferred_negatives: list[Inferred] = ()) -> dict:
    """The JSON-ready evaluation result of one setting (see report.format_result)."""
    summary = score(samples, inferred, settings, negatives, inferred_negatives).as_dict()
    result = {"model": detector.describe(),
              "core": {"hash": CORE_HASH, "git": _git_commit(),
                       "note": "plateblur core files the scores depend on; a new hash means new numbers"},
              "settings": {"conf": settings.conf, "pad": settings.pad, "max_downscale": max_downscale,
                           "iou": settings.iou, "min_pad_px": settings.min_pad_px},
              "data": {**data, "photos": len(samples), "plates": int(sum(len(s.boxes) for s in samples))},
              "negatives_data": ({**negatives_data, "photos": len(negatives)} if negatives_data else None),
              **summary}
    result["targets"] = check_targets(result["overall"], result["negatives"])
    return result
