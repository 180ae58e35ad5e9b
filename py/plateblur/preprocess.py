"""Letterboxing: an H x W x 3 uint8 RGB frame to the model's 1 x 3 x H x W float32 input."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PAD_VALUE = 114  # grey border, as the detector was trained with


@dataclass(frozen=True)
class Letterbox:
    """How a source window was fitted into the model input: ``scale_xy`` then ``pad_xy`` offset.
    ``origin_xy`` is the window's top-left corner in the source frame (0, 0 for the whole frame)."""

    scale_xy: tuple[float, float]
    pad_xy: tuple[float, float]
    source_wh: tuple[int, int]
    origin_xy: tuple[int, int] = (0, 0)

    def to_source(self, xyxy: np.ndarray) -> np.ndarray:
        """Map (N, 4) boxes from model-input pixels back to source-frame pixels."""
        out = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4).copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad_xy[0]) / self.scale_xy[0] + self.origin_xy[0]
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad_xy[1]) / self.scale_xy[1] + self.origin_xy[1]
        return out


def resize_bilinear(image: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    """Bilinear resize with half-pixel centres (as OpenCV's INTER_LINEAR); uint8 in, uint8 out."""
    h, w = image.shape[:2]
    out_w, out_h = size_wh
    if (out_w, out_h) == (w, h):
        return image

    def axis(n_out: int, n_in: int):
        pos = ((np.arange(n_out, dtype=np.float32) + 0.5) * (n_in / n_out) - 0.5).clip(0, n_in - 1)
        lo = np.floor(pos).astype(np.int32)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, (pos - lo).astype(np.float32)

    y0, y1, fy = axis(out_h, h)
    x0, x1, fx = axis(out_w, w)
    rows0 = image[y0].astype(np.float32)
    rows1 = image[y1].astype(np.float32)
    rows = rows0 + (rows1 - rows0) * fy[:, None, None]
    left, right = rows[:, x0], rows[:, x1]
    out = left + (right - left) * fx[None, :, None]
    return (out + 0.5).astype(np.uint8)


def letterbox(frame: np.ndarray, input_wh: tuple[int, int]) -> tuple[np.ndarray, Letterbox]:
    """Fit ``frame`` (H, W, 3 uint8) into ``input_wh`` keeping its aspect ratio, centred on grey.
    Returns the (1, 3, H, W) float32 tensor in 0..1 and the mapping back."""
    h, w = frame.shape[:2]
    in_w, in_h = input_wh
    scale = min(in_w / w, in_h / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    left = (in_w - new_w) // 2
    top = (in_h - new_h) // 2
    canvas = np.full((in_h, in_w, 3), PAD_VALUE, dtype=np.uint8)
    canvas[top:top + new_h, left:left + new_w] = resize_bilinear(frame, (new_w, new_h))
    tensor = canvas.transpose(2, 0, 1)[None].astype(np.float32) * np.float32(1 / 255)
    return tensor, Letterbox(scale_xy=(new_w / w, new_h / h), pad_xy=(left, top), source_wh=(w, h))
