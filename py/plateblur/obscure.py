"""Obscurers: each hides the given pixel regions of a frame in place.

A frame is H x W x 3 (or 4) uint8; regions are int (N, 4) x1, y1, x2, y2 from
``boxes.to_pixel_regions``. ``strength`` runs from 0 (weakest) to 1 (strongest)."""
from __future__ import annotations

import numpy as np


def _box_blur(a: np.ndarray, radius: int, axis: int) -> np.ndarray:
    """Mean over a (2r+1) window along ``axis``, edges repeated; O(n) whatever the radius."""
    n = a.shape[axis]
    widths = [(radius + 1, radius) if i == axis else (0, 0) for i in range(a.ndim)]
    sums = np.cumsum(np.pad(a, widths, mode="edge"), axis=axis, dtype=np.float32)
    upper = np.take(sums, np.arange(2 * radius + 1, 2 * radius + 1 + n), axis=axis)
    lower = np.take(sums, np.arange(n), axis=axis)
    return (upper - lower) / np.float32(2 * radius + 1)


class Blur:
    """Gaussian blur (three box passes) with sigma = strength x half the region's short side."""

    name = "blur"

    def apply(self, frame: np.ndarray, regions: np.ndarray, strength: float) -> np.ndarray:
        for x1, y1, x2, y2 in regions:
            if x2 <= x1 or y2 <= y1:
                continue
            patch = frame[y1:y2, x1:x2].astype(np.float32)
            sigma = max(1.5, strength * 0.5 * min(x2 - x1, y2 - y1))
            radius = max(1, round(np.sqrt(sigma * sigma + 0.25) - 0.5))  # sigma^2 = r(r+1)
            for axis in (0, 1):
                for _ in range(3):
                    patch = _box_blur(patch, radius, axis)
            frame[y1:y2, x1:x2] = (patch + 0.5).clip(0, 255).astype(np.uint8)
        return frame


class Pixelate:
    """Blocks of the mean colour; block side = strength x 0.6 x the region's short side."""

    name = "pixelate"

    def apply(self, frame: np.ndarray, regions: np.ndarray, strength: float) -> np.ndarray:
        for x1, y1, x2, y2 in regions:
            block = max(2, round(strength * 0.6 * min(x2 - x1, y2 - y1)))
            for by in range(y1, y2, block):
                for bx in range(x1, x2, block):
                    cell = frame[by:min(by + block, y2), bx:min(bx + block, x2)]
                    cell[...] = cell.reshape(-1, cell.shape[-1]).mean(axis=0).round().astype(np.uint8)
        return frame


class Fill:
    """Solid black; ``strength`` is ignored."""

    name = "fill"

    def apply(self, frame: np.ndarray, regions: np.ndarray, strength: float) -> np.ndarray:
        for x1, y1, x2, y2 in regions:
            frame[y1:y2, x1:x2, :3] = 0
        return frame


OBSCURERS = {cls.name: cls for cls in (Blur, Pixelate, Fill)}
