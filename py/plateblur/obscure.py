"""Obscurers: each hides the given pixel regions of a frame in place.

A frame is H x W x 3 (or 4) uint8; regions are int (N, 4) x1, y1, x2, y2 from
``boxes.to_pixel_regions``. ``strength`` runs from 0 (weakest) to 1 (strongest)."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter


class Blur:
    """Gaussian blur with sigma = strength x half the region's short side; each region is blurred
    on its own, its edges repeated (Pillow's three box passes: in Pyodide about 8 times faster
    than the same in numpy)."""

    name = "blur"

    def apply(self, frame: np.ndarray, regions: np.ndarray, strength: float) -> np.ndarray:
        for x1, y1, x2, y2 in regions:
            if x2 <= x1 or y2 <= y1:
                continue
            sigma = max(1.5, strength * 0.5 * min(x2 - x1, y2 - y1))
            patch = Image.fromarray(np.ascontiguousarray(frame[y1:y2, x1:x2]))
            frame[y1:y2, x1:x2] = np.asarray(patch.filter(ImageFilter.GaussianBlur(sigma)))
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
