"""Windows to run the detector on, so that small plates in large photos stay visible."""
from __future__ import annotations

import math


def _starts(length: int, window: int, step: int) -> list[int]:
    if window >= length:
        return [0]
    count = math.ceil((length - window) / step) + 1
    return [round(i * (length - window) / (count - 1)) for i in range(count)]


def plan_windows(frame_wh: tuple[int, int], input_wh: tuple[int, int], max_downscale: float,
                 overlap: float = 0.25) -> list[tuple[int, int, int, int]]:
    """The whole frame, plus, when fitting it into the model input would shrink it more than
    ``max_downscale`` times, a grid of overlapping tiles of ``max_downscale`` times the input
    size. Returns (x1, y1, x2, y2) windows in frame pixels, the whole frame first."""
    w, h = frame_wh
    in_w, in_h = input_wh
    windows = [(0, 0, w, h)]
    if max(w / in_w, h / in_h) <= max_downscale:
        return windows
    tile_w = min(w, round(in_w * max_downscale))
    tile_h = min(h, round(in_h * max_downscale))
    step_w = max(1, round(tile_w * (1 - overlap)))
    step_h = max(1, round(tile_h * (1 - overlap)))
    for y in _starts(h, tile_h, step_h):
        for x in _starts(w, tile_w, step_w):
            windows.append((x, y, x + tile_w, y + tile_h))
    return windows
