"""Score a face hider on a labelled face set: 'covered90' by face height, and false regions on
face-free photos.

    PYTHONPATH=py .venv/bin/python -m tools.eval.faces --detector plateblur     # the app: plates and faces
    PYTHONPATH=py .venv/bin/python -m tools.eval.faces --detector plateblur --hide plates   # faces by accident only
    PYTHONPATH=py .venv/bin/python -m tools.eval.faces --sweep     # face threshold x face padding, one detection pass
    PYTHONPATH=. /tmp/deface-venv/bin/python -m tools.eval.faces --detector deface --json build/faces-deface.json

The face set lives outside the repo (default ``../facedata``, i.e. /work/facedata): ``faces.json``
({"photo.jpg": [[x1, y1, x2, y2], ...]} in the stored image's pixels), ``images/`` and
``face_free.json`` (paths relative to ``../shared/data/plates``). A detector is a callable
``regions(rgb H x W x 3 uint8) -> int (N, 4) x1, y1, x2, y2``: the regions actually hidden, after padding.

- **covered90**: at least 90 % of the face box's area lies inside the union of the regions
  (``metrics.covered_share``, as for plates).
- **buckets**: by the face box's height in pixels: < 10, 10-20, 20-40, 40-80, >= 80.
- **false regions**: every face region on a face-free photo counts, per photo (a detector that gives no
  kinds, deface: every region; the app's plate regions there are plates, not false faces).

``--detector deface`` is the anchor: deface 1.5.0's CenterFace at deface's CLI defaults (threshold 0.2,
full resolution, mask scale 1.3 applied as deface applies it: each side pushed out by 0.3 of the box's
size, so 1.6x in all, then clipped to the frame). deface is not a project dependency: run that mode
with a Python that has it (``pip install deface==1.5.0``). deface hides an ellipse inside each region;
the score here counts the whole rectangle."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageOps

from tools import REPO_ROOT, SHARED

from .metrics import COVER_SHARE, covered_share

DEFAULT_FACES = REPO_ROOT.parent / "facedata"
PLATES = SHARED / "data" / "plates"
HEIGHT_BUCKETS = (("<10", 0.0, 10.0), ("10-20", 10.0, 20.0), ("20-40", 20.0, 40.0), ("40-80", 40.0, 80.0),
                  (">=80", 80.0, float("inf")))
DEFACE_THRESHOLD = 0.2
DEFACE_MASK_SCALE = 1.3

Regions = Callable[[np.ndarray], np.ndarray]


def height_bucket(height: float) -> str:
    for name, low, high in HEIGHT_BUCKETS:
        if low <= height < high:
            return name
    return HEIGHT_BUCKETS[-1][0]


def read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(ImageOps.exif_transpose(img).convert("RGB"))


def load_faces(root: Path) -> list[tuple[Path, np.ndarray]]:
    """(image path, float64 (G, 4) xyxy) for each photo of ``root/faces.json``, in name order."""
    labels = json.loads((root / "faces.json").read_text())
    return [(root / "images" / name, np.asarray(boxes, dtype=np.float64).reshape(-1, 4))
            for name, boxes in sorted(labels.items())]


def load_face_free(root: Path, base: Path = PLATES) -> list[Path]:
    path = root / "face_free.json"
    return [base / p for p in json.loads(path.read_text())] if path.is_file() else []


class Score:
    """Faces and covered faces per height bucket, and regions per face-free photo."""

    def __init__(self) -> None:
        self.faces = {name: 0 for name, _, _ in HEIGHT_BUCKETS}
        self.covered = dict.fromkeys(self.faces, 0)
        self.photos = 0
        self.false_regions: list[int] = []

    def add_photo(self, boxes, regions) -> np.ndarray:
        """Adds one labelled photo; returns its faces' covered flags."""
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        covered = covered_share(boxes, regions) >= COVER_SHARE - 1e-9
        for height, ok in zip(boxes[:, 3] - boxes[:, 1], covered):
            bucket = height_bucket(float(height))
            self.faces[bucket] += 1
            self.covered[bucket] += int(ok)
        self.photos += 1
        return covered

    def add_face_free(self, regions) -> None:
        self.false_regions.append(len(np.asarray(regions).reshape(-1, 4)))

    def as_dict(self) -> dict:
        rate = lambda n, d: round(n / d, 4) if d else None  # noqa: E731
        big = [b for b, low, _ in HEIGHT_BUCKETS if low >= 20]
        n_big, c_big = sum(self.faces[b] for b in big), sum(self.covered[b] for b in big)
        n_all, c_all = sum(self.faces.values()), sum(self.covered.values())
        free = self.false_regions
        return {"photos": self.photos, "faces": n_all,
                "by_height": {b: {"faces": self.faces[b], "covered": self.covered[b],
                                  "covered90": rate(self.covered[b], self.faces[b])} for b in self.faces},
                "at_least_20px": {"faces": n_big, "covered": c_big, "covered90": rate(c_big, n_big)},
                "all": {"faces": n_all, "covered": c_all, "covered90": rate(c_all, n_all)},
                "face_free": {"photos": len(free), "regions": sum(free),
                              "regions_per_photo": rate(sum(free), len(free)),
                              "photos_with_regions": sum(1 for n in free if n)}}


def evaluate(regions: Regions, faces: list[tuple[Path, np.ndarray]], face_free: list[Path],
             log: bool = False) -> tuple[Score, float]:
    """Runs ``regions`` on every photo; returns the score and the seconds spent in ``regions``."""
    score, spent = Score(), 0.0
    for i, path in enumerate([p for p, _ in faces] + face_free):
        rgb = read_rgb(path)
        started = time.perf_counter()
        found, kinds = _with_kinds(regions(rgb))
        spent += time.perf_counter() - started
        if i < len(faces):
            score.add_photo(faces[i][1], found)
        else:
            score.add_face_free(found if kinds is None else found[np.asarray(kinds) == "face"])
        if log and (i + 1) % 50 == 0:
            print(f"faces: {i + 1}/{len(faces) + len(face_free)}", file=sys.stderr)
    return score, spent


def _with_kinds(found) -> tuple[np.ndarray, list[str] | None]:
    """A detector's answer: regions, or (regions, their kinds)."""
    if isinstance(found, tuple):
        regions, kinds = found
        return np.asarray(regions).reshape(-1, 4), list(kinds)
    return np.asarray(found).reshape(-1, 4), None


def markdown(name: str, result: dict) -> str:
    rows = [f"{name}: {result['photos']} photos, {result['faces']} faces", "",
            "| face height | faces | covered90 |", "|---|---:|---:|"]
    pct = lambda v: "-" if v is None else f"{100 * v:.1f} %"  # noqa: E731
    for bucket, row in result["by_height"].items():
        rows.append(f"| {bucket} px | {row['faces']} | {pct(row['covered90'])} |")
    for label, key in (("**>= 20 px**", "at_least_20px"), ("**all**", "all")):
        rows.append(f"| {label} | {result[key]['faces']} | {pct(result[key]['covered90'])} |")
    free = result["face_free"]
    rows += ["", f"Face-free photos: {free['photos']}, false regions {free['regions']} "
                 f"({free['regions_per_photo']} per photo, {free['photos_with_regions']} photos with any)."]
    return "\n".join(rows)


def deface_regions(threshold: float = DEFACE_THRESHOLD, mask_scale: float = DEFACE_MASK_SCALE) -> Regions:
    """deface's anchor: its CenterFace at full resolution (as its CLI without --scale), boxes grown as
    its ``scale_bb`` grows them (integer box, each side out by (mask_scale - 1) x size, rounded) and
    clipped to the frame as its ``anonymize_frame`` clips them."""
    from deface.centerface import CenterFace   # only here: deface is no project dependency

    net = CenterFace(in_shape=None, backend="auto")

    def regions(rgb: np.ndarray) -> np.ndarray:
        dets, _ = net(rgb, threshold=threshold)
        h, w = rgb.shape[:2]
        out = []
        for x1, y1, x2, y2 in np.asarray(dets)[:, :4].astype(int):
            grow = mask_scale - 1.0
            bw, bh = x2 - x1, y2 - y1
            box = np.round([x1 - bw * grow, y1 - bh * grow, x2 + bw * grow, y2 + bh * grow]).astype(int)
            out.append([max(0, box[0]), max(0, box[1]), min(w - 1, box[2]), min(h - 1, box[3])])
        return np.asarray(out, dtype=np.int64).reshape(-1, 4)

    regions.describe = {"detector": "deface 1.5.0 CenterFace", "backend": net.backend, "threshold": threshold,
                        "mask_scale": mask_scale, "input": "full resolution"}
    return regions


def project_models(threads: int = 0, face_model: str | None = None) -> dict:
    """The shipped plate model for photos, and ``face_model`` (default: the shipped photo face model)."""
    from plateblur.cpython.assets import model_path
    from plateblur.cpython.onnx_model import OnnxModel
    from plateblur.settings import FACE_MODEL_FILE, MODEL_FILE

    return {"plate": OnnxModel(model_path(MODEL_FILE), threads),
            "face": OnnxModel(model_path(face_model or FACE_MODEL_FILE), threads)}


def project_regions(settings=None, threads: int = 0, face_model: str | None = None) -> Regions:
    """The app's own path, as the CLI runs it: ``pipeline.detect`` then ``render``'s regions and kinds."""
    from plateblur import pipeline
    from plateblur.settings import Settings

    settings = settings or Settings()
    models = project_models(threads, face_model)

    def regions(rgb: np.ndarray):
        found = pipeline.detect(rgb, models, models["plate"].input_wh, settings, models["plate"].dynamic)
        shown = pipeline.kept(found, settings)
        covering, rows = pipeline.covering(shown, rgb.shape[1::-1], settings)
        return covering, [shown.kinds[k] for k in rows.tolist()]

    regions.describe = {"detector": "plateblur", "hide": list(settings.hide), "conf": settings.conf,
                        "face_conf": settings.face_conf, "pad": settings.pad, "face_model": face_model}
    return regions


def sweep(faces, face_free, face_confs, extra_pads, threads: int = 0, face_model: str | None = None) -> list[dict]:
    """covered90 and false face regions for each face threshold and extra face padding, from one detection
    pass per photo (candidates down to the floor, as the app keeps them)."""
    from plateblur import pipeline
    from plateblur.settings import Settings

    models = project_models(threads, face_model)
    lead = models["plate"]
    paths = [p for p, _ in faces] + face_free
    found = []
    for i, path in enumerate(paths):
        rgb = read_rgb(path)
        found.append((rgb.shape[1::-1], pipeline.detect(rgb, models, lead.input_wh, Settings(), lead.dynamic)))
        if (i + 1) % 100 == 0:
            print(f"faces: detected {i + 1}/{len(paths)}", file=sys.stderr)
    rows, saved = [], pipeline.FACE_EXTRA_PAD
    try:
        for extra in extra_pads:
            pipeline.FACE_EXTRA_PAD = extra          # the one module constant the sweep varies
            for face_conf in face_confs:
                settings = Settings(face_conf=face_conf)
                score = Score()
                for i, (size, detections) in enumerate(found):
                    shown = pipeline.kept(detections, settings)
                    regions, rows_of = pipeline.covering(shown, size, settings)
                    if i < len(faces):
                        score.add_photo(faces[i][1], regions)
                    else:
                        score.add_face_free(regions[[shown.kinds[k] == "face" for k in rows_of.tolist()]])
                rows.append({"face_conf": face_conf, "face_extra_pad": extra, **score.as_dict()})
    finally:
        pipeline.FACE_EXTRA_PAD = saved
    return rows


def sweep_markdown(rows: list[dict]) -> str:
    buckets = [name for name, _, _ in HEIGHT_BUCKETS]
    lines = ["| face conf | extra pad | " + " | ".join(f"{b} px" for b in buckets) + " | >= 20 px | false per photo |",
             "|---:|---:|" + "---:|" * (len(buckets) + 2)]
    for r in rows:
        cells = [f"{100 * r['by_height'][b]['covered90']:.1f}" if r['by_height'][b]['covered90'] is not None else "-"
                 for b in buckets]
        lines.append(f"| {r['face_conf']:g} | {r['face_extra_pad']:g} | " + " | ".join(cells)
                     + f" | {100 * r['at_least_20px']['covered90']:.1f} | {r['face_free']['regions_per_photo']} |")
    return "\n".join(lines)


DETECTORS = {"deface": deface_regions, "plateblur": project_regions}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--detector", choices=sorted(DETECTORS), default="plateblur")
    p.add_argument("--hide", default="plates,faces", help="the app's --hide (plateblur only)")
    p.add_argument("--sweep", action="store_true", help="the app: face threshold x extra face padding table")
    p.add_argument("--face-model", default=None, help="a face model of models/ (default: the photo one)")
    p.add_argument("--faces", type=Path, default=DEFAULT_FACES, help="face set: faces.json, images/, face_free.json")
    p.add_argument("--plates", type=Path, default=PLATES, help="where face_free.json's paths start")
    p.add_argument("--no-face-free", action="store_true", help="skip the face-free photos")
    p.add_argument("--limit", type=int, default=None, help="only the first N labelled photos")
    p.add_argument("--json", type=Path, default=None, help="also write the numbers to this file")
    p.add_argument("-q", "--quiet", action="store_true")
    a = p.parse_args(argv)
    if not (a.faces / "faces.json").is_file():
        sys.exit(f"faces: no faces.json in {a.faces}")
    faces = load_faces(a.faces)[:a.limit]
    face_free = [] if a.no_face_free else load_face_free(a.faces, a.plates)
    if a.sweep:
        rows = sweep(faces, face_free, (0.1, 0.15, 0.2, 0.3, 0.4), (0.0, 0.1, 0.15, 0.25), face_model=a.face_model)
        if a.json:
            a.json.parent.mkdir(parents=True, exist_ok=True)
            a.json.write_text(json.dumps(rows, indent=1) + "\n")
        print(sweep_markdown(rows))
        return 0
    if a.detector == "plateblur":
        from plateblur.settings import Settings
        regions = project_regions(Settings(hide=tuple(a.hide.split(","))), face_model=a.face_model)
    else:
        regions = DETECTORS[a.detector]()
    started = time.perf_counter()
    score, spent = evaluate(regions, faces, face_free, log=not a.quiet)
    result = {"detector": getattr(regions, "describe", {"detector": a.detector}), **score.as_dict(),
              "timing": {"wall_s": round(time.perf_counter() - started, 1), "detector_s": round(spent, 1),
                         "photos": len(faces) + len(face_free)}}
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(result, indent=1) + "\n")
    print(markdown(a.detector, result))
    print(f"\n{result['timing']['photos']} photos in {result['timing']['wall_s']} s "
          f"({result['timing']['detector_s']} s in the detector)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
