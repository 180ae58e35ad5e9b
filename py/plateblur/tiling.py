"""Windows to run the detector on, so that small plates in large photos stay visible."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .preprocess import fitted_size, resize


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


@dataclass(frozen=True)
class Window:
    """Where one model input comes from: ``box`` (x1, y1, x2, y2) of the frame (turned ``turns`` quarter
    turns counter-clockwise first), resized to ``fitted_wh`` and letterboxed into ``input_wh``."""

    box: tuple[int, int, int, int]
    fitted_wh: tuple[int, int]
    input_wh: tuple[int, int]
    tile_wh: tuple[int, int] | None = None   # the full tile size (before clipping to the frame); None: whole frame
    turns: int = 0


def detector_windows(frame_wh: tuple[int, int], input_wh: tuple[int, int], max_downscale: float,
                     turns: tuple[int, ...] = (0,)) -> list[Window]:
    """The model inputs of a frame of ``frame_wh``: the whole frame, plus tiles if it is large.
    ``turns``: also search the frame turned by these quarter turns counter-clockwise (the thorough
    mode: the detector misses plates in a sideways picture); 0 must come first."""
    if not turns or turns[0] != 0:
        raise ValueError(f"turns must start with 0 (the frame as it is), not {turns}")
    windows = []
    for turn in turns:
        w, h = frame_wh[::-1] if turn % 2 else frame_wh
        view_wh = input_wh[::-1] if turn % 2 else input_wh   # a frame's input (input_for), turned with it
        tile_wh = (round(view_wh[0] * max_downscale), round(view_wh[1] * max_downscale))
        for i, (x1, y1, x2, y2) in enumerate(plan_windows((w, h), view_wh, max_downscale)):
            windows.append(Window((x1, y1, x2, y2), fitted_size((x2 - x1, y2 - y1), view_wh), view_wh,
                                  None if i == 0 else tile_wh, turn))
    return windows


def fit(frame: np.ndarray, window: Window) -> np.ndarray:
    """The pixels of ``window`` of ``frame`` (H, W, 3 uint8), resized to its ``fitted_wh``."""
    view = np.rot90(frame, window.turns) if window.turns else frame      # a view: only the window is copied
    x1, y1, x2, y2 = window.box
    return resize(np.ascontiguousarray(view[y1:y2, x1:x2]), window.fitted_wh)
