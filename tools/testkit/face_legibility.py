"""A face-finding adversary for obscured faces: OpenCV's Haar cascades (frontal and profile; from
opencv-python-headless, a test dependency only), a detector with nothing in common with the shipped
CenterFace. The attacker looks at the whole obscured photo and at each obscured region on its own, grown by
half on every side and scaled up to at least 96 px, with contrast stretched. A face counts as found when a
Haar box matches it as in a detection benchmark: intersection over union with the face's box at least
``MATCH_IOU``. (A first version counted any Haar box centred in the region, at any size: after blur it
counted boxes two to five times the face's size around a blurred head, the cascade answering to the
outline of hair and shoulders around a flat blob, the face itself gone; docs/faces.md shows both counts.)

``table`` hides every labelled face of a photo with the region the app gives a face box (padded as the
app pads faces at the least pad), through each mode at its weakest setting, and counts how many of the
faces the adversary found unobscured (only those: a face Haar cannot see even unobscured tells nothing)
it finds again.

    rows = table(load_set(folder))        # python -m tools.eval.face_adversary prints it"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from plateblur import pipeline
from plateblur.boxes import box_iou_batch
from plateblur.detections import FACE, Detections
from plateblur.settings import RANGES, Settings

CASCADES = ("haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt2.xml", "haarcascade_profileface.xml")
MIN_SIDE = 96
MATCH_IOU = 0.3
WEAKEST = {"blur": RANGES["strength"].min, "pixelate": RANGES["strength"].min, "fill": RANGES["strength"].min}


def _classifiers():
    import cv2

    return [cv2.CascadeClassifier(cv2.data.haarcascades + name) for name in CASCADES]


def haar_faces(rgb: np.ndarray, classifiers=None) -> np.ndarray:
    """(N, 4) x1, y1, x2, y2 of every face any cascade finds (also in the mirror image, for profiles)."""
    import cv2

    classifiers = classifiers or _classifiers()
    grey = cv2.equalizeHist(cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY))
    boxes = []
    for flipped in (False, True):
        image = grey[:, ::-1].copy() if flipped else grey
        for classifier in classifiers:
            for x, y, w, h in classifier.detectMultiScale(image, 1.05, 3, minSize=(12, 12)):
                x1 = grey.shape[1] - (x + w) if flipped else x
                boxes.append((x1, y, x1 + w, y + h))
    return np.asarray(boxes, np.float64).reshape(-1, 4)


def _centre_inside(boxes: np.ndarray, region) -> bool:
    x1, y1, x2, y2 = region
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    return bool(((cx >= x1) & (cx <= x2) & (cy >= y1) & (cy <= y2)).any())


def _matches(boxes: np.ndarray, face, region, by_centre: bool) -> bool:
    if by_centre:
        return _centre_inside(boxes, region)
    return bool(len(boxes)) and bool((box_iou_batch(boxes, np.float64([face])) >= MATCH_IOU).any())


def found_in(rgb: np.ndarray, face, region=None, classifiers=None, by_centre: bool = False,
             whole: np.ndarray | None = None) -> bool:
    """Whether the adversary finds ``face`` (x1, y1, x2, y2) in ``rgb``: in the whole photo, or in the
    neighbourhood of ``region`` (default: the face's own box) scaled up with its contrast stretched.
    ``by_centre``: the first version's rule (any Haar box centred in ``region``). ``whole``: the whole
    photo's ``haar_faces``, where the caller has them already."""
    classifiers = classifiers or _classifiers()
    region = [int(v) for v in (face if region is None else region)]
    whole = haar_faces(rgb, classifiers) if whole is None else whole
    if _matches(whole, face, region, by_centre):
        return True
    x1, y1, x2, y2 = region
    gx, gy = (x2 - x1) // 2, (y2 - y1) // 2
    box = (max(0, x1 - gx), max(0, y1 - gy), min(rgb.shape[1], x2 + gx), min(rgb.shape[0], y2 + gy))
    crop = Image.fromarray(np.ascontiguousarray(rgb[box[1]:box[3], box[0]:box[2], :3]))
    scale = max(1.0, MIN_SIDE / min(crop.size))
    crop = ImageOps.autocontrast(crop.resize((round(crop.width * scale), round(crop.height * scale)), Image.BICUBIC))
    shift = np.float64([box[0], box[1], box[0], box[1]])
    local_face = ((np.float64(face) - shift) * scale).tolist()
    local_region = ((np.float64(region) - shift) * scale).tolist()
    return _matches(haar_faces(np.asarray(crop), classifiers), local_face, local_region, by_centre)


def load_set(folder: Path) -> list[tuple[Path, np.ndarray]]:
    labels = json.loads((folder / "faces.json").read_text())
    return [(folder / "images" / name, np.asarray(boxes, np.float32).reshape(-1, 4)) for name, boxes in sorted(labels.items())]


def table(photos: list[tuple[Path, np.ndarray]], limit: int | None = None, by_centre: bool = False) -> dict:
    """{"faces": n the adversary sees unobscured, mode: n it still finds after obscuring}."""
    classifiers = _classifiers()
    seen, again = 0, dict.fromkeys(WEAKEST, 0)
    for path, boxes in photos:
        rgb = np.asarray(Image.open(path).convert("RGB"))
        whole = haar_faces(rgb, classifiers)
        visible = [b for b in boxes if found_in(rgb, b.tolist(), None, classifiers, by_centre, whole)]
        if not visible:
            continue
        every = Detections(boxes, np.ones(len(boxes), np.float32), class_id=FACE)     # the photo's faces, all hidden
        looked_at = Detections(np.asarray(visible, np.float32), np.ones(len(visible), np.float32), class_id=FACE)
        for mode, strength in WEAKEST.items():
            settings = Settings(mode=mode, strength=strength, pad=0.0)       # the least padding a user can pick
            obscured = pipeline.obscure(rgb, pipeline.regions_for(every, rgb.shape[1::-1], settings), settings)
            regions = pipeline.regions_for(looked_at, rgb.shape[1::-1], settings)
            whole = haar_faces(obscured, classifiers)
            again[mode] += sum(found_in(obscured, face.tolist(), r.tolist(), classifiers, by_centre, whole)
                               for face, r in zip(visible, regions))
        seen += len(visible)
        if limit and seen >= limit:
            break
    return {"faces": seen, **again}
