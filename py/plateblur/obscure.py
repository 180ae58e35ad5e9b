"""Obscurers: each hides the given pixel regions of a frame in place.

A frame is H x W x 3 (or 4) uint8; regions are int (N, 4) x1, y1, x2, y2 from
``boxes.to_pixel_regions``. ``strength`` runs from 0 (weakest) to 1 (strongest), and every value
hides the characters: blur and pixelate scale with each region's height (a plate's characters fill
most of it), and even their weakest setting removes every character stroke. Measured with an OCR
adversary in tests/unit/test_legibility.py."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

# Shares of the region's height at strength 0 and 1. The weakest is what strength 0.5 gave before
# (for a wide region) and 2 to 3 times what hides every plate from Tesseract: it still read synthetic
# plates at sigma 0.08 and blocks 0.15 of the height, none at 0.10 and 0.18 (tests/legibility.py).
BLUR_SIGMA = (0.25, 0.6)
PIXEL_BLOCK = (0.3, 0.7)
MIN_SIGMA_PX = 1.5
MIN_BLOCK_PX = 2


def _share(span: tuple[float, float], strength: float) -> float:
    low, high = span
    return low + (high - low) * min(max(strength, 0.0), 1.0)


def blur_sigma(height: int, strength: float) -> float:
    """Gaussian sigma in px for a region ``height`` px tall."""
    return float(max(MIN_SIGMA_PX, _share(BLUR_SIGMA, strength) * height))   # a plain float: Pillow 12.3+ refuses numpy scalars


def pixel_block(height: int, strength: float) -> float:
    """The least side of a pixelation block in px for a region ``height`` px tall."""
    return max(MIN_BLOCK_PX, _share(PIXEL_BLOCK, strength) * height)


def block_edges(length: int, block: float) -> np.ndarray:
    """Where the blocks along a side of ``length`` px start, and its end: the side is cut into as
    many equal parts as fit ``block`` (at least one), so no block is smaller and no sliver is left."""
    n = max(1, int(length / block))
    return np.linspace(0, length, n + 1).round().astype(np.intp)


class Blur:
    """Gaussian blur, sigma = blur_sigma(region height); each region is blurred on its own, its
    edges repeated (Pillow's three box passes: in Pyodide about 8 times faster than numpy, and
    as fast for any sigma)."""

    name = "blur"

    def apply(self, frame: np.ndarray, regions: np.ndarray, strength: float) -> np.ndarray:
        for x1, y1, x2, y2 in regions:
            if x2 <= x1 or y2 <= y1:
                continue
            patch = Image.fromarray(np.ascontiguousarray(frame[y1:y2, x1:x2]))
            blurred = patch.filter(ImageFilter.GaussianBlur(blur_sigma(y2 - y1, strength)))
            frame[y1:y2, x1:x2] = np.asarray(blurred)
        return frame


class Pixelate:
    """Blocks of the mean colour, at least pixel_block(region height) on a side (``block_edges``)."""

    name = "pixelate"

    def apply(self, frame: np.ndarray, regions: np.ndarray, strength: float) -> np.ndarray:
        for x1, y1, x2, y2 in regions:
            if x2 <= x1 or y2 <= y1:
                continue
            block = pixel_block(y2 - y1, strength)
            ys, xs = block_edges(y2 - y1, block), block_edges(x2 - x1, block)
            region = frame[y1:y2, x1:x2]
            sums = np.add.reduceat(np.add.reduceat(region, ys[:-1], axis=0, dtype=np.uint64), xs[:-1], axis=1)
            counts = np.diff(ys)[:, None, None] * np.diff(xs)[None, :, None]
            means = ((sums + counts // 2) // counts).astype(np.uint8)       # rounded to nearest
            region[...] = np.repeat(np.repeat(means, np.diff(ys), axis=0), np.diff(xs), axis=1)
        return frame


class Fill:
    """Solid black; ``strength`` is ignored."""

    name = "fill"

    def apply(self, frame: np.ndarray, regions: np.ndarray, strength: float) -> np.ndarray:
        for x1, y1, x2, y2 in regions:
            frame[y1:y2, x1:x2, :3] = 0
        return frame


OBSCURERS = {cls.name: cls for cls in (Blur, Pixelate, Fill)}
