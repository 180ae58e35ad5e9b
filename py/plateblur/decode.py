"""Decoding the detector's raw output into Detections."""
from __future__ import annotations

import numpy as np

from .detections import FACE, Detections
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


CENTERFACE_STRIDE = 4   # one heat-map cell per 4 x 4 input pixels


def decode_centerface(output: np.ndarray, letterbox: Letterbox, conf_threshold: float) -> Detections:
    """The face detector's output (1, 5, H/4, W/4): heat map, log height and width (in cells), y and x
    offset of the centre within its cell (models/faces-centerface.onnx, tools/eval/export_faces.py).
    Returns the cells scoring at least ``conf_threshold`` as face boxes in source pixels, before NMS."""
    maps = np.asarray(output, dtype=np.float32)
    if maps.ndim == 4 and maps.shape[0] == 1:
        maps = maps[0]
    if maps.ndim != 3 or maps.shape[0] != 5:
        raise ValueError(f"expected face detector output of shape (1, 5, H, W), got {np.shape(output)}")
    rows, cols = np.nonzero(maps[0] >= conf_threshold)
    heat, log_h, log_w, dy, dx = maps[:, rows, cols]
    h = np.exp(log_h) * CENTERFACE_STRIDE
    w = np.exp(log_w) * CENTERFACE_STRIDE
    cy = (rows + dy + 0.5) * CENTERFACE_STRIDE
    cx = (cols + dx + 0.5) * CENTERFACE_STRIDE
    xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return Detections(letterbox.to_source(xyxy), heat, class_id=FACE)
