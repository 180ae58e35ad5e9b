"""Letterboxing: an H x W x 3 uint8 RGB frame to the model's 1 x 3 x H x W float32 input."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

PAD_VALUE = 114  # grey border, as the detector was trained with
STRIDE = 32      # the detector's coarsest feature map: input sides must be multiples of it


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


def input_for(frame_wh: tuple[int, int], model_wh: tuple[int, int], dynamic: bool) -> tuple[int, int]:
    """The model input (w, h) for a frame. A fixed-shape model takes its own ``model_wh``. A model with
    dynamic height and width takes the frame's aspect: the long side is the model's long side (the same
    scale as letterboxing into the square), the short side rounded up to a multiple of STRIDE, so
    16:9 video runs at 640x384 instead of 640x640. Tiles of the frame use the same input."""
    if not dynamic:
        return tuple(model_wh)
    w, h = frame_wh
    side = max(model_wh)
    short = max(STRIDE, math.ceil(side * min(w, h) / max(w, h) / STRIDE) * STRIDE)
    return (side, short) if w >= h else (short, side)


def resize(image: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of an H x W x 3 uint8 image (Pillow's, which also smooths when shrinking;
    in Pyodide it is about 3 times faster than the same in numpy)."""
    if image.shape[1::-1] == tuple(size_wh):
        return image
    return np.asarray(Image.fromarray(image).resize(size_wh, Image.BILINEAR))


def fitted_size(window_wh: tuple[int, int], input_wh: tuple[int, int]) -> tuple[int, int]:
    """The size a ``window_wh`` window is resized to when letterboxed into ``input_wh`` (aspect kept)."""
    w, h = window_wh
    scale = min(input_wh[0] / w, input_wh[1] / h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def letterbox(frame: np.ndarray, input_wh: tuple[int, int]) -> tuple[np.ndarray, Letterbox]:
    """Fit ``frame`` (H, W, 3 uint8) into ``input_wh`` keeping its aspect ratio, centred on grey.
    Returns the (1, 3, H, W) float32 tensor in 0..1 and the mapping back."""
    fitted = resize(frame, fitted_size(frame.shape[1::-1], input_wh))
    return letterbox_fitted(fitted, frame.shape[1::-1], input_wh)


def letterbox_fitted(fitted: np.ndarray, source_wh: tuple[int, int], input_wh: tuple[int, int]) -> tuple[np.ndarray, Letterbox]:
    """``letterbox`` of a frame of ``source_wh`` already resized to ``fitted_size`` (H, W, 3 or more
    channels, uint8: the first three are RGB; a browser's canvas scaler gives RGBA)."""
    w, h = source_wh
    in_w, in_h = input_wh
    new_h, new_w = fitted.shape[:2]
    if (new_w, new_h) != fitted_size(source_wh, input_wh):
        raise ValueError(f"a {w}x{h} window fits {input_wh} at {fitted_size(source_wh, input_wh)}, not {new_w}x{new_h}")
    left = (in_w - new_w) // 2
    top = (in_h - new_h) // 2
    tensor = np.full((1, 3, in_h, in_w), PAD_VALUE / 255, dtype=np.float32)
    np.multiply(fitted[:, :, :3].transpose(2, 0, 1), np.float32(1 / 255),
                out=tensor[0, :, top:top + new_h, left:left + new_w])
    return tensor, Letterbox(scale_xy=(new_w / w, new_h / h), pad_xy=(left, top), source_wh=(w, h))
