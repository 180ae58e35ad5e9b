"""One frame at a time, for streams (video files, the camera, the CLI's videos).

source -> frames -> detect -> track -> obscure -> sink: the caller reads a frame's pixels from its
source, ``FrameProcessor.process`` returns the regions to hide and their obscured pixels, and the
caller pastes them into the frame its sink still holds. A frame whose processing fails comes back
with ``failed`` set: the sink must hide that frame whole (fail closed), never pass it on raw."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from . import pipeline
from .clock import StageClock
from .frame_pixels import ArrayFrame, FramePixels
from .settings import Settings
from .track import Tracker

NO_REGIONS = np.zeros((0, 4), np.int32)
NO_PIXELS = np.zeros((0,), np.uint8)
NO_IDS = np.zeros((0,), np.int64)


@dataclass(frozen=True)
class FrameResult:
    """``regions`` int32 (N, 4) x1, y1, x2, y2; ``patches`` their obscured RGBA pixels packed in one
    flat uint8 array (``pipeline.obscured_patches``); ``detected``: the detector ran on this frame
    (else the tracker predicted, or a re-export replayed); ``failed``: why the frame could not be
    processed (None if it was); ``ids``: each region's track id (``video_edits``); ``kinds``: each
    region's kind ("plate", "face", or "drawn" in a re-export)."""

    regions: np.ndarray
    patches: np.ndarray
    detected: bool
    failed: str | None = None
    ids: np.ndarray = field(default_factory=lambda: NO_IDS)
    kinds: tuple[str, ...] = ()


class FrameRecord(Protocol):
    """Where a processor notes each frame's regions and their track ids, and the frames that failed
    (``video_edits.TrackRecord``, for a video's later edits)."""

    def add(self, frame: int, ids: np.ndarray, regions: np.ndarray, kinds: tuple[str, ...] = ()) -> None: ...

    def fail(self, frame: int) -> None: ...


class BaseProcessor:
    """What every frame loop's processor shares: the fail-closed rule, the counts, the stage clock
    and, where asked for, the record of each frame's regions and their tracks (``record``).
    Subclasses say where a frame's regions come from (``_regions``): the detector and tracker here,
    an edited record in a re-export (``video_edits.ReplayProcessor``)."""

    def __init__(self, settings: Settings, clock: StageClock | None, record: FrameRecord | None) -> None:
        self.settings = settings
        self.clock = clock or StageClock()
        self.record = record
        self.processed = 0        # frames given to process()
        self.failed = 0
        self.most_regions = 0
        self.most_of_kind: dict[str, int] = {}   # the most regions of each kind on one frame

    async def _regions(self, frame: FramePixels, gap: int,
                       index: int) -> tuple[np.ndarray, np.ndarray, bool, tuple[str, ...]]:
        """(track ids, whole-pixel regions, whether the detector ran, each region's kind) of the frame."""
        raise NotImplementedError

    async def process(self, frame: "np.ndarray | FramePixels", gap: int = 1) -> FrameResult:
        """Regions and obscured pixels for one frame: H x W x 3 uint8, or pixels read as needed
        (``frame_pixels``: the page reads only the detector's scaled windows and the regions). ``gap``:
        source frames since the previous call (1 unless the source dropped frames; dropped frames
        widen the margins)."""
        index, detected = self.processed, False
        self.processed += 1
        try:
            frame = frame if isinstance(frame, FramePixels) else ArrayFrame(frame)
            ids, regions, detected, kinds = await self._regions(frame, gap, index)
            ids, regions, kinds = paste_order(ids, regions, kinds)
            patches = pipeline.obscure_packed(await frame.region_rgba(regions), regions, self.settings)
            self.clock.lap("obscure")
        except Exception as exc:  # fail closed: the caller hides this frame whole
            self.failed += 1
            self.clock.lap("failed")
            if self.record is not None:
                self.record.fail(index)
            return FrameResult(NO_REGIONS, NO_PIXELS, detected, f"{type(exc).__name__}: {exc}")
        self.most_regions = max(self.most_regions, len(regions))
        for kind in set(kinds):
            self.most_of_kind[kind] = max(self.most_of_kind.get(kind, 0), kinds.count(kind))
        if self.record is not None:
            self.record.add(index, ids, regions, kinds)
        return FrameResult(regions, patches, detected, ids=ids, kinds=kinds)


class FrameProcessor(BaseProcessor):
    """The per-frame state of one stream: the tracker, the detection cadence and the stage clock.

    ``model``: awaitable (1, 3, H, W) float32 -> raw output, with ``input_wh`` and ``dynamic`` (or kind ->
    such a model: plates and faces, ``pipeline.Models``); each kind is tracked on its own. The detector runs on
    every ``settings.detect_every``-th processed frame; the tracker covers the frames between and
    the frames a source dropped (``gap``). ``record``: where to note each frame's regions and tracks
    (a video file's, for later edits; None for the endless camera)."""

    def __init__(self, model: "pipeline.Models", settings: Settings,
                 clock: StageClock | None = None, record: FrameRecord | None = None) -> None:
        super().__init__(settings, clock, record)
        self.model = model        # one model (plates), or kind -> model (pipeline.Models)
        self._first = pipeline.lead_model(model)
        self.tracker = Tracker()
        self._since_update = 0    # source frames since the tracker's last update

    async def _regions(self, frame, gap, index):
        self._since_update += max(1, gap)
        detect_now = index % self.settings.detect_every == 0
        if detect_now:
            found = await pipeline.detect_async(frame, self.model, self._first.input_wh, self.settings, self.clock,
                                                 dynamic=self._first.dynamic)
            tracked = self.tracker.update(pipeline.kept(found, self.settings), frames=self._since_update)
            self._since_update = 0
        else:
            tracked = self.tracker.predict(self._since_update)
        regions, rows = pipeline.covering(tracked, frame.size, self.settings)
        return (np.asarray(tracked.tracker_id, np.int64)[rows], regions, detect_now,
                tuple(tracked.kinds[k] for k in rows.tolist()))


PASTE_RANK = {"face": 0, "plate": 1, "drawn": 2}   # later kinds are pasted over earlier ones


def paste_order(ids, regions, kinds) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The order the sink pastes the regions in: faces, then plates, then drawn regions, each kind
    shortest first. Each patch is obscured from the frame's own pixels, so where regions overlap the last
    one pasted wins: a plate's own region (its blur tuned against an OCR adversary) is never overwritten by
    a face region whose edge runs through the plate (measured: a false face region ending inside a plate
    left it legible), and of two regions of a kind the taller, whose blur or blocks are the stronger
    (obscure.py scales them by height), wins."""
    regions = np.asarray(regions, np.int32).reshape(-1, 4)
    order = np.lexsort((regions[:, 3] - regions[:, 1], [PASTE_RANK.get(kind, 2) for kind in kinds]))
    return np.asarray(ids, np.int64).reshape(-1)[order], regions[order], tuple(kinds[i] for i in order.tolist())


def run_sync(coroutine):
    """The result of a coroutine that never waits on anything (e.g. ``FrameProcessor.process`` with a
    synchronous model behind an ``async def``, as in CPython), without an event loop: usable where one
    is already running."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("the coroutine waited on something: run it in an event loop")
