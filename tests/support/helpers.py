"""Builders and measurements shared by the CPython tests (tests/unit, tests/cli).

Imports nothing beyond numpy, Pillow and the standard library, so the unit modules that use it can
also run where onnxruntime is missing."""
from __future__ import annotations

import io
import json

import numpy as np

from plateblur.cpython.assets import model_path
from plateblur.detections import Detections
from plateblur.settings import MODEL_FILE

from tools.testkit import MEDIA

MODEL_PATH = model_path(MODEL_FILE)
INPUT_WH = (640, 640)


# --- detections and boxes -------------------------------------------------------------------

def make_detections(xyxy=(), confidence=None, tracker_id=None) -> Detections:
    """Detections from a list of [x1, y1, x2, y2] boxes; confidences default to 0.9, 0.8, ..."""
    xyxy = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)
    if confidence is None:
        confidence = [round(0.9 - 0.1 * (i % 9), 2) for i in range(len(xyxy))]
    return Detections(xyxy, np.asarray(confidence, dtype=np.float32), tracker_id)


def yolo_output(boxes_cxcywh_score, n_anchors: int = 16, batch: bool = True) -> np.ndarray:
    """A synthetic detector output (1, 5, N): the given (cx, cy, w, h, score) rows first, then
    zero-score anchors up to ``n_anchors``."""
    rows = np.zeros((5, max(n_anchors, len(boxes_cxcywh_score))), np.float32)
    for i, row in enumerate(boxes_cxcywh_score):
        rows[:, i] = row
    return rows[None] if batch else rows


def xyxy_to_cxcywh(box) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = box
    return (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1


# --- frames ---------------------------------------------------------------------------------

def make_frame(width: int, height: int, value: int = 0, channels: int = 3) -> np.ndarray:
    return np.full((height, width, channels), value, dtype=np.uint8)


def noise_frame(width: int, height: int, seed: int = 0, channels: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels), dtype=np.uint8)


def text_pattern(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A high-contrast, plate-like pattern (H, W, 3): black glyph strokes on white, strokes about
    a tenth of the height thick, in 'character' cells across the width."""
    rng = np.random.default_rng(seed)
    stroke = max(1, height // 10)
    img = np.full((height, width), 255, np.uint8)
    char_w = max(3 * stroke, int(height * 0.55))
    top, bottom = int(height * 0.2), int(height * 0.8)
    for x0 in range(stroke, width - char_w, char_w + stroke):
        # a seven-segment-like glyph: random segments of a box of char_w x (bottom - top)
        mid = (top + bottom) // 2
        segments = [
            (top, top + stroke, x0, x0 + char_w), (mid, mid + stroke, x0, x0 + char_w),
            (bottom - stroke, bottom, x0, x0 + char_w), (top, mid, x0, x0 + stroke),
            (mid, bottom, x0, x0 + stroke), (top, mid, x0 + char_w - stroke, x0 + char_w),
            (mid, bottom, x0 + char_w - stroke, x0 + char_w),
        ]
        chosen = rng.random(len(segments)) < 0.6
        chosen[rng.integers(len(segments))] = True
        for (a, b, c, d), on in zip(segments, chosen):
            if on:
                img[a:b, c:d] = 0
    return np.repeat(img[:, :, None], 3, axis=2)


def detail_energy(patch: np.ndarray) -> float:
    """High-frequency detail: mean squared difference between vertically and horizontally
    neighbouring pixels."""
    p = patch.astype(np.float64)
    return float(np.mean((p[1:] - p[:-1]) ** 2) + np.mean((p[:, 1:] - p[:, :-1]) ** 2))


def outside_mask(shape_hw: tuple[int, int], regions) -> np.ndarray:
    """True for the pixels of an H x W frame that lie in none of the regions."""
    mask = np.ones(shape_hw, bool)
    for x1, y1, x2, y2 in np.asarray(regions, dtype=np.int64).reshape(-1, 4):
        mask[y1:y2, x1:x2] = False
    return mask


def coverage(box_xyxy, regions, shape_hw: tuple[int, int]) -> float:
    """Share of the (fractional) box's area covered by the union of whole-pixel regions."""
    h, w = shape_hw
    union = ~outside_mask((h, w), regions)
    x1, y1, x2, y2 = (float(v) for v in box_xyxy)
    cols = np.arange(w, dtype=np.float64)
    rows = np.arange(h, dtype=np.float64)
    ox = (np.minimum(cols + 1, x2) - np.maximum(cols, x1)).clip(0)
    oy = (np.minimum(rows + 1, y2) - np.maximum(rows, y1)).clip(0)
    area = (x2 - x1) * (y2 - y1)
    return float(oy @ union.astype(np.float64) @ ox / area)


# --- a stand-in detector ----------------------------------------------------------------------

class BrightBoxModel:
    """Stand-in for the detector: reports the bounding box of the bright (> 0.5 in every channel)
    pixels of each (1, 3, H, W) input as one anchor, in model-input pixels, with zero-score anchors
    after it. The letterbox grey (114/255) and black count as background. Like a real detector, it
    is surer of objects that look bigger: the score runs from 0.5 (a dot) to 0.9 (30 px or more on
    the short side), and it can be made blind to objects under ``min_side_px``."""

    def __init__(self, n_anchors: int = 8, min_side_px: float = 0):
        self.n_anchors = n_anchors
        self.min_side_px = min_side_px     # like a real detector, blind to anything smaller
        self.calls: list[tuple[int, ...]] = []

    def __call__(self, tensor: np.ndarray) -> np.ndarray:
        self.calls.append(tensor.shape)
        bright = (tensor[0] > 0.5).all(axis=0)
        rows = []
        if bright.any():
            ys = np.flatnonzero(bright.any(axis=1))
            xs = np.flatnonzero(bright.any(axis=0))
            box = (xs[0], ys[0], xs[-1] + 1, ys[-1] + 1)
            short = min(box[2] - box[0], box[3] - box[1])
            if short >= self.min_side_px:
                rows.append((*xyxy_to_cxcywh(box), 0.5 + 0.4 * min(1.0, short / 30)))
        return yolo_output(rows, self.n_anchors)


# --- photos as bytes --------------------------------------------------------------------------

def encode_image(array: np.ndarray, fmt: str, **save) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(array).save(out, format=fmt, **save)
    return out.getvalue()


def jpeg_with_orientation(width: int, height: int, orientation: int) -> tuple[bytes, np.ndarray]:
    """A JPEG stored as width x height with an EXIF Orientation tag (and a GPS tag, to check
    stripping); a red block marks the stored top-left corner. Returns (bytes, stored pixels)."""
    from PIL import Image

    pixels = make_frame(width, height, 255)
    pixels[: height // 4, : width // 4] = (255, 0, 0)
    img = Image.fromarray(pixels)
    exif = img.getexif()
    exif[0x0112] = orientation                       # Orientation
    exif[0x010F] = "plateblur-test-camera"           # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}    # GPSInfo
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif, quality=95)
    return out.getvalue(), pixels


def load_plates() -> list[dict]:
    return json.loads((MEDIA / "plates.json").read_text())


def corrupt_gps_exif(orientation: int) -> bytes:
    """A big-endian EXIF block with an Orientation tag and a corrupt GPS block (GPSLongitude stored
    as text, where three rationals belong): Pillow reads it, but cannot write it back."""
    import struct

    def ifd(entries: list[bytes]) -> bytes:
        return struct.pack(">H", len(entries)) + b"".join(entries) + struct.pack(">I", 0)

    gps_offset = 8 + 2 + 2 * 12 + 4                 # after the header and IFD0's two entries
    ifd0 = ifd([struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0),     # Orientation, SHORT
                struct.pack(">HHII", 0x8825, 4, 1, gps_offset)])         # GPSInfo, LONG offset
    gps = ifd([struct.pack(">HHI4s", 4, 2, 2, b"N\0\0\0")])              # GPSLongitude as ASCII "N"
    return b"Exif\0\0MM\0*" + struct.pack(">I", 8) + ifd0 + gps
