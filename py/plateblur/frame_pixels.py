"""A frame's pixels, read as the frame loop needs them: the detector's windows (scaled to the model
input), the regions to obscure (at full size), or the whole frame.

``ArrayFrame`` holds them all (CPython, tests). The page's frames (``browser.bridge.PageFrame``) stay
on a canvas in JS: the canvas scales the windows, and only those and the regions' pixels cross to
Python, never the whole frame unless it is asked for."""
from __future__ import annotations

import numpy as np

from .tiling import Window, fit


class FramePixels:
    """The pixels of one frame of ``size`` (w, h). Subclasses give ``rgb``; the rest is derived from it."""

    size: tuple[int, int]

    async def rgb(self) -> np.ndarray:
        """The whole frame, H x W x 3 uint8."""
        raise NotImplementedError

    async def fitted(self, windows: list[Window]) -> list[np.ndarray]:
        """Each window's pixels resized to its ``fitted_wh`` (H x W x 3, or 4 with alpha: RGB first)."""
        rgb = await self.rgb()
        return [fit(rgb, window) for window in windows]

    async def region_rgba(self, regions: np.ndarray) -> np.ndarray:
        """The RGBA pixels (alpha 255) of int (N, 4) ``regions``, packed one after the other (row-major)."""
        return pack_rgba(await self.rgb(), regions)


class ArrayFrame(FramePixels):
    def __init__(self, rgb: np.ndarray) -> None:
        check_rgb(rgb)
        self._rgb = rgb
        self.size = rgb.shape[1::-1]

    async def rgb(self) -> np.ndarray:
        return self._rgb


def check_rgb(frame: np.ndarray) -> None:
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"expected an H x W x 3 uint8 frame, got {frame.dtype} {frame.shape}")


def pack_rgba(frame: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """The pixels of ``regions`` (int (N, 4), inside the frame) of ``frame`` (H x W x 3 or 4 uint8) as
    RGBA, alpha 255, one region after the other in one flat uint8 array."""
    regions = np.asarray(regions, np.int32).reshape(-1, 4)
    sizes = [(x2 - x1) * (y2 - y1) * 4 for x1, y1, x2, y2 in regions.tolist()]
    packed = np.empty(sum(sizes), np.uint8)
    offset = 0
    for (x1, y1, x2, y2), size in zip(regions.tolist(), sizes):
        patch = packed[offset:offset + size].reshape(y2 - y1, x2 - x1, 4)
        patch[:, :, :3] = frame[y1:y2, x1:x2, :3]
        patch[:, :, 3] = 255
        offset += size
    return packed
