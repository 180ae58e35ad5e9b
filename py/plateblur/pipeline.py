"""frame -> detect -> obscure, with model inference left to the caller.

Inference is synchronous in CPython and asynchronous in the browser, so the pipeline is split
around it: ``prepare`` gives the model inputs, the adapter runs the model on each, ``finish``
turns the outputs into Detections. ``render`` obscures and can be repeated with new settings
without running the model again."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

import numpy as np

from .boxes import box_area, clip_boxes, contained_in_other, nms_union, pad_boxes, pixel_cover, turn_boxes
from .clock import StageClock
from .decode import decode_yolo
from .detections import Detections
from .frame_pixels import ArrayFrame, FramePixels, check_rgb, pack_rgba
from .obscure import OBSCURERS
from .preprocess import Letterbox, input_for, letterbox_fitted
from .settings import DETECTION_FLOOR, Settings
from .tiling import Window, detector_windows, fit

FRAGMENT_SHARE = 0.8   # a box this much inside a larger kept box is a tile fragment of it
TILE_BOX_SHARE = 0.5   # tiles look for small plates; a box over half a tile wide or high is an artefact


@dataclass(frozen=True)
class ModelInput:
    """One model input: the (1, 3, H, W) float32 tensor and how it maps back to the frame."""

    tensor: np.ndarray
    letterbox: Letterbox
    tile_wh: tuple[int, int] | None = None   # the full tile size (before clipping to the frame); None: whole frame
    turns: int = 0                           # the frame was turned this many quarter turns counter-clockwise


@dataclass(frozen=True)
class Rendered:
    """An obscured frame, the detections kept at the threshold and the regions obscured."""

    image: np.ndarray
    detections: Detections
    regions: np.ndarray


def model_input_for(window: Window, fitted: np.ndarray, frame_wh: tuple[int, int]) -> ModelInput:
    """The model input of ``window`` from its ``fitted`` pixels (``fit``, or a browser's canvas scaler)."""
    x1, y1, x2, y2 = window.box
    tensor, box = letterbox_fitted(fitted, (x2 - x1, y2 - y1), window.input_wh)
    turned_wh = frame_wh[::-1] if window.turns % 2 else tuple(frame_wh)
    return ModelInput(tensor, Letterbox(box.scale_xy, box.pad_xy, turned_wh, (x1, y1)), window.tile_wh, window.turns)


def prepare(frame: np.ndarray, input_wh: tuple[int, int], max_downscale: float,
            turns: tuple[int, ...] = (0,)) -> list[ModelInput]:
    """Model inputs for ``frame`` (H, W, 3 uint8 RGB): its ``detector_windows``, each fitted and letterboxed."""
    check_rgb(frame)
    frame_wh = frame.shape[1::-1]
    return [model_input_for(window, fit(frame, window), frame_wh)
            for window in detector_windows(frame_wh, input_wh, max_downscale, turns)]


def _decode(output: np.ndarray, model_input: ModelInput) -> Detections:
    """The input's candidates in the frame's own pixels (a turned frame's turned back)."""
    found = decode_yolo(output, model_input.letterbox, DETECTION_FLOOR)
    if model_input.tile_wh is not None and len(found):
        size = found.xyxy[:, 2:] - found.xyxy[:, :2]
        found = found[(size <= np.asarray(model_input.tile_wh, np.float32) * TILE_BOX_SHARE).all(axis=1)]
    if model_input.turns and len(found):
        turned_back = turn_boxes(found.xyxy, model_input.letterbox.source_wh, 4 - model_input.turns)
        found = Detections(turned_back, found.confidence)
    return found


def finish(outputs: list[np.ndarray], inputs: list[ModelInput], iou: float) -> Detections:
    """Decode each output, merge across windows and suppress overlaps. Keeps candidates down to
    DETECTION_FLOOR; ``select`` applies the user's threshold."""
    if len(outputs) != len(inputs):
        raise ValueError(f"{len(outputs)} model outputs for {len(inputs)} inputs")
    merged = Detections.merge([_decode(out, model_input) for out, model_input in zip(outputs, inputs)])
    if not len(merged):
        return merged
    clipped = clip_boxes(merged.xyxy, inputs[0].letterbox.source_wh)
    visible = box_area(clipped) > 0          # boxes wholly in the letterbox border are nothing
    return Detections(*nms_union(clipped[visible], merged.confidence[visible], iou))


def select(detections: Detections, conf: float) -> Detections:
    """Detections at or above ``conf``, without tile fragments covered by a larger box."""
    return detections[select_indices(detections, conf)]


def select_indices(detections: Detections, conf: float) -> np.ndarray:
    """The indices (ascending) of the detections ``select`` keeps."""
    indices = np.flatnonzero(detections.confidence >= conf)
    if len(indices) < 2:
        return indices
    return indices[~contained_in_other(detections.xyxy[indices], FRAGMENT_SHARE)]


def regions_for(kept: Detections, frame_wh: tuple[int, int], settings: Settings) -> np.ndarray:
    """The whole-pixel regions (int32 (N, 4)) that hide the boxes of ``kept``, padded."""
    return covering(kept, frame_wh, settings)[0]


def covering(kept: Detections, frame_wh: tuple[int, int], settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """``regions_for``, and for each region the index in ``kept`` of its box (a box that covers no
    pixel has no region)."""
    regions, ok = pixel_cover(pad_boxes(kept.xyxy, settings.pad, settings.min_pad_px, frame_wh), frame_wh)
    return regions[ok], np.flatnonzero(ok)


def render(frame: np.ndarray, detections: Detections, settings: Settings) -> Rendered:
    """Obscure a copy of ``frame`` (H, W, C uint8) at the settings' threshold, padding and mode."""
    kept = select(detections, settings.conf)
    regions = regions_for(kept, frame.shape[1::-1], settings)
    return Rendered(obscure(frame, regions, settings), kept, regions)


def obscure(frame: np.ndarray, regions: np.ndarray, settings: Settings) -> np.ndarray:
    """A copy of ``frame`` with exactly ``regions`` (int (N, 4) pixels) hidden in the settings' mode."""
    return OBSCURERS[settings.mode]().apply(frame.copy(), np.asarray(regions, np.int32).reshape(-1, 4),
                                            settings.strength)


def obscured_patches(frame: np.ndarray, kept: Detections, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """For streams, where the sink still holds the frame: the regions that hide ``kept`` (already
    thresholded, or tracked) and their obscured pixels as RGBA (alpha 255), packed one region
    after the other (row-major) in one flat uint8 array, so they cross to the sink in one piece.
    Only the regions' pixels are copied, never the whole frame."""
    return region_patches(frame, regions_for(kept, frame.shape[1::-1], settings), settings)


def region_patches(frame: np.ndarray, regions: np.ndarray, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """``obscured_patches`` for exact whole-pixel ``regions`` (int (N, 4), inside the frame)."""
    regions = np.asarray(regions, np.int32).reshape(-1, 4)
    return regions, obscure_packed(pack_rgba(frame, regions), regions, settings)


def obscure_packed(packed: np.ndarray, regions: np.ndarray, settings: Settings) -> np.ndarray:
    """Obscures, in place, the regions' RGBA pixels packed one after the other (``pack_rgba``, or a
    canvas's pixels read region by region); returns ``packed``."""
    obscurer = OBSCURERS[settings.mode]()
    for (x1, y1, x2, y2), patch in zip(regions.tolist(), unpack_patches(regions, packed)):
        obscurer.apply(patch, np.array([[0, 0, x2 - x1, y2 - y1]]), settings.strength)   # a view: in packed
    return packed


def unpack_patches(regions: np.ndarray, packed: np.ndarray) -> list[np.ndarray]:
    """The per-region RGBA patches of ``obscured_patches``' packed array (views, no copies)."""
    patches, offset = [], 0
    for x1, y1, x2, y2 in np.asarray(regions).tolist():
        size = (x2 - x1) * (y2 - y1) * 4
        patches.append(packed[offset:offset + size].reshape(y2 - y1, x2 - x1, 4))
        offset += size
    return patches


def detect(frame: np.ndarray, model: Callable[[np.ndarray], np.ndarray], input_wh: tuple[int, int],
           settings: Settings, dynamic: bool = False) -> Detections:
    """Synchronous convenience for CPython: prepare, run ``model`` on each input, finish.
    ``input_wh``, ``dynamic``: the model's input size and whether it takes any (see ``input_for``)."""
    inputs = prepare(frame, input_for(frame.shape[1::-1], input_wh, dynamic), settings.max_downscale, settings.turns)
    return finish([model(model_input.tensor) for model_input in inputs], inputs, settings.iou)


async def detect_async(frame: "np.ndarray | FramePixels", model: Callable[[np.ndarray], Awaitable[np.ndarray]],
                       input_wh: tuple[int, int], settings: Settings, clock: StageClock | None = None,
                       on_pass: Callable[[int, int], None] | None = None, dynamic: bool = False) -> Detections:
    """``detect`` for an awaitable model (onnxruntime-web in the page). ``frame``: H x W x 3 uint8, or
    a frame whose pixels are read as needed (``frame_pixels.FramePixels``: the page's canvas scales the
    windows itself). ``clock`` gets the laps preprocess, run and postprocess; ``on_pass(i, n)`` is
    called before each of the n model runs."""
    clock = clock or StageClock()
    pixels = frame if isinstance(frame, FramePixels) else ArrayFrame(frame)
    windows = detector_windows(pixels.size, input_for(pixels.size, input_wh, dynamic), settings.max_downscale,
                               settings.turns)
    inputs = [model_input_for(window, fitted, pixels.size)
              for window, fitted in zip(windows, await pixels.fitted(windows))]
    clock.lap("preprocess")
    outputs = []
    for i, model_input in enumerate(inputs):
        if on_pass:
            on_pass(i, len(inputs))
        outputs.append(await model(model_input.tensor))
    clock.lap("run")
    found = finish(outputs, inputs, settings.iou)
    clock.lap("postprocess")
    return found
