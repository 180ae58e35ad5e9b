"""Decoding the detector's raw output into Detections."""
from __future__ import annotations

import numpy as np

from .detections import Detections
from .preprocess import Letterbox


def decode_yolo(output: np.ndarray, letterbox: Letterbox, conf_threshold: float) -> Detections:
    """YOLOv8 one-class output (1, 5, N) or (5, N): rows cx, cy, w, h (model-input pixels) and
    score. Returns the anchors scoring at least ``conf_threshold`` as boxes in source pixels,
    before NMS."""
    rows = np.asarray(output, dtype=np.float32)
    if rows.ndim == 3 and rows.shape[0] == 1:
        rows = rows[0]
    if rows.ndim != 2 or rows.shape[0] != 5:
        raise ValueError(f"expected detector output of shape (1, 5, N), got {np.shape(output)}")
    keep = rows[4] >= conf_threshold
    cx, cy, w, h, score = rows[:, keep]
    xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return Detections(letterbox.to_source(xyxy), score)
