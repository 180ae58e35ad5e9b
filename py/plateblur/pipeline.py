"""frame -> detect -> obscure, with model inference left to the caller.

Two kinds of box, plates and faces, each from its own model (``Models``: kind -> model) on the same
prepared inputs: a frame is fitted and letterboxed once, and each model runs on the same tensors.

Inference is synchronous in CPython and asynchronous in the browser, so the pipeline is split
around it: ``prepare`` gives the model inputs, the adapter runs the model on each, ``finish``
turns the outputs into Detections. ``render`` obscures and can be repeated with new settings
without running the model again."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Union

import numpy as np

from .boxes import box_area, clip_boxes, contained_in_other, nms_union, pad_boxes, pixel_cover, turn_boxes
from .clock import StageClock
from .decode import decode_centerface, decode_yolo
from .detections import FACE, KINDS, Detections
from .frame_pixels import ArrayFrame, FramePixels, check_rgb, pack_rgba
from .obscure import OBSCURERS
from .preprocess import Letterbox, input_for, letterbox_fitted
from .settings import DETECTION_FLOOR, FACE_EXTRA_PAD, Settings
from .tiling import Window, detector_windows, fit

FRAGMENT_SHARE = 0.8   # a box this much inside a larger kept box is a tile fragment of it
TILE_BOX_SHARE = 0.5   # tiles look for small plates; a box over half a tile wide or high is an artefact
DECODERS = {"plate": decode_yolo, "face": decode_centerface}

# The models of a frame: one model (plates), or kind -> model ("plate", "face"). Each is callable on a
# model input's tensor; the first one's ``input_wh`` and ``dynamic`` choose the inputs all of them get.
Models = Union[Callable, Mapping[str, Callable]]


def lead_model(models: Models) -> Callable:
    """The model whose ``input_wh`` and ``dynamic`` choose the inputs (plates' when both run)."""
    if not isinstance(models, Mapping):
        return models
    return models["plate"] if "plate" in models else next(iter(models.values()))


def by_kind(models: Models, settings: Settings) -> dict[str, Callable]:
    """The models to run for ``settings.kinds``, plates first (a lone model is the plate model). A kind
    without a model is not searched: the adapters load one for every kind they are asked to hide."""
    models = models if isinstance(models, Mapping) else {"plate": models}
    unknown = set(models) - set(KINDS)
    if unknown:
        raise ValueError(f"no such kind of box: {', '.join(sorted(unknown))}")
    return {kind: models[kind] for kind in KINDS if kind in models and kind in settings.kinds}


@dataclass(frozen=True)
class ModelInput:
    """One model input: the (1, 3, H, W) float32 tensor and how it maps back to the frame."""

    tensor: np.ndarray
    letterbox: Letterbox
    tile_wh: tuple[int, int] | None = None   # the full tile size (before clipping to the frame); None: whole frame
    turns: int = 0                           # the frame was turned this many quarter turns counter-clockwise


@dataclass(frozen=True)
class Rendered:
    """An obscured frame, the detections kept at the threshold and the regions obscured, with each
    region's kind ("plate", "face")."""

    image: np.ndarray
    detections: Detections
    regions: np.ndarray
    kinds: tuple[str, ...] = ()


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


def _decode(output: np.ndarray, model_input: ModelInput, kind: str) -> Detections:
    """The input's candidates in the frame's own pixels (a turned frame's turned back)."""
    found = DECODERS[kind](output, model_input.letterbox, DETECTION_FLOOR)
    if model_input.tile_wh is not None and len(found):
        size = found.xyxy[:, 2:] - found.xyxy[:, :2]
        found = found[(size <= np.asarray(model_input.tile_wh, np.float32) * TILE_BOX_SHARE).all(axis=1)]
    if model_input.turns and len(found):
        turned_back = turn_boxes(found.xyxy, model_input.letterbox.source_wh, 4 - model_input.turns)
        found = Detections(turned_back, found.confidence, class_id=found.class_id)
    return found


def finish(outputs: list[np.ndarray], inputs: list[ModelInput], iou: float, kind: str = "plate") -> Detections:
    """Decode each output of the ``kind`` model, merge across windows and suppress overlaps. Keeps
    candidates down to DETECTION_FLOOR; ``select`` applies the user's threshold."""
    if len(outputs) != len(inputs):
        raise ValueError(f"{len(outputs)} model outputs for {len(inputs)} inputs")
    merged = Detections.merge([_decode(out, model_input, kind) for out, model_input in zip(outputs, inputs)])
    if not len(merged):
        return merged
    clipped = clip_boxes(merged.xyxy, inputs[0].letterbox.source_wh)
    visible = box_area(clipped) > 0          # boxes wholly in the letterbox border are nothing
    return Detections(*nms_union(clipped[visible], merged.confidence[visible], iou), class_id=KINDS.index(kind))


def select(detections: Detections, conf: float, face_conf: float | None = None) -> Detections:
    """Detections at or above their kind's threshold (``conf``: plates; ``face_conf``: faces, ``conf``
    if None), without tile fragments covered by a larger box of their kind."""
    return detections[select_indices(detections, conf, face_conf)]


def select_indices(detections: Detections, conf: float, face_conf: float | None = None) -> np.ndarray:
    """The indices (ascending) of the detections ``select`` keeps."""
    threshold = np.where(detections.class_id == FACE, conf if face_conf is None else face_conf, conf)
    indices = np.flatnonzero(detections.confidence >= threshold)
    if len(indices) < 2:
        return indices
    fragment = np.zeros(len(indices), bool)
    classes = detections.class_id[indices]
    for kind in np.unique(classes):
        same = np.flatnonzero(classes == kind)
        fragment[same] = contained_in_other(detections.xyxy[indices[same]], FRAGMENT_SHARE)
    return indices[~fragment]


def kept(detections: Detections, settings: Settings) -> Detections:
    """``select`` at the settings' thresholds, of the kinds the settings hide."""
    return detections[kept_indices(detections, settings)]


def kept_indices(detections: Detections, settings: Settings) -> np.ndarray:
    """The indices (ascending) of the detections ``kept`` keeps."""
    indices = select_indices(detections, settings.conf, settings.face_conf)
    hidden = np.isin(detections.class_id[indices], [KINDS.index(kind) for kind in settings.kinds])
    return indices[hidden]


def pads(detections: Detections, settings: Settings) -> np.ndarray:
    """Each box's padding: the user's pad; faces FACE_EXTRA_PAD more (hair, ears, chin)."""
    return np.where(detections.class_id == FACE, settings.pad + FACE_EXTRA_PAD, settings.pad).astype(np.float32)


def regions_for(kept: Detections, frame_wh: tuple[int, int], settings: Settings) -> np.ndarray:
    """The whole-pixel regions (int32 (N, 4)) that hide the boxes of ``kept``, padded."""
    return covering(kept, frame_wh, settings)[0]


def covering(kept: Detections, frame_wh: tuple[int, int], settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """``regions_for``, and for each region the index in ``kept`` of its box (a box that covers no
    pixel has no region)."""
    regions, ok = pixel_cover(pad_boxes(kept.xyxy, pads(kept, settings), settings.min_pad_px, frame_wh), frame_wh)
    return regions[ok], np.flatnonzero(ok)


def render(frame: np.ndarray, detections: Detections, settings: Settings) -> Rendered:
    """Obscure a copy of ``frame`` (H, W, C uint8) at the settings' threshold, padding and mode."""
    shown = kept(detections, settings)
    regions, rows = covering(shown, frame.shape[1::-1], settings)
    return Rendered(obscure(frame, regions, settings), shown, regions, tuple(shown.kinds[k] for k in rows.tolist()))


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


def detect(frame: np.ndarray, models: Models, input_wh: tuple[int, int],
           settings: Settings, dynamic: bool = False) -> Detections:
    """Synchronous convenience for CPython: prepare once, run each model of ``settings.kinds`` on each
    input, finish. ``input_wh``, ``dynamic``: the models' input size and whether they take any
    (see ``input_for``)."""
    inputs = prepare(frame, input_for(frame.shape[1::-1], input_wh, dynamic), settings.max_downscale, settings.turns)
    return Detections.merge([finish([model(model_input.tensor) for model_input in inputs], inputs, settings.iou, kind)
                             for kind, model in by_kind(models, settings).items()])


async def detect_async(frame: "np.ndarray | FramePixels", models: Models,
                       input_wh: tuple[int, int], settings: Settings, clock: StageClock | None = None,
                       on_pass: Callable[[int, int], None] | None = None, dynamic: bool = False) -> Detections:
    """``detect`` for awaitable models (onnxruntime-web in the page). ``frame``: H x W x 3 uint8, or
    a frame whose pixels are read as needed (``frame_pixels.FramePixels``: the page's canvas scales the
    windows itself). ``clock`` gets the laps preprocess, run and postprocess; ``on_pass(i, n)`` is
    called before each of the n model runs (of all kinds)."""
    clock = clock or StageClock()
    pixels = frame if isinstance(frame, FramePixels) else ArrayFrame(frame)
    windows = detector_windows(pixels.size, input_for(pixels.size, input_wh, dynamic), settings.max_downscale,
                               settings.turns)
    inputs = [model_input_for(window, fitted, pixels.size)
              for window, fitted in zip(windows, await pixels.fitted(windows))]
    clock.lap("preprocess")
    runs = by_kind(models, settings)
    outputs: dict[str, list] = {kind: [] for kind in runs}
    for k, (kind, model) in enumerate(runs.items()):
        for i, model_input in enumerate(inputs):
            if on_pass:
                on_pass(k * len(inputs) + i, len(runs) * len(inputs))
            outputs[kind].append(await model(model_input.tensor))
    clock.lap("run")
    found = Detections.merge([finish(outputs[kind], inputs, settings.iou, kind) for kind in runs])
    clock.lap("postprocess")
    return found
