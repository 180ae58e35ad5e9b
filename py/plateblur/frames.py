"""One frame at a time, for streams (video files, the camera, the CLI's videos).

source -> frames -> detect -> track -> obscure -> sink: the caller reads a frame's pixels from its
source, ``FrameProcessor.process`` returns the regions to hide and their obscured pixels, and the
caller pastes them into the frame its sink still holds. A frame whose processing fails comes back
with ``failed`` set: the sink must hide that frame whole (fail closed), never pass it on raw."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

import numpy as np

from . import pipeline
from .clock import StageClock
from .settings import Settings
from .track import Tracker

NO_REGIONS = np.zeros((0, 4), np.int32)
NO_PIXELS = np.zeros((0,), np.uint8)


@dataclass(frozen=True)
class FrameResult:
    """``regions`` int32 (N, 4) x1, y1, x2, y2; ``patches`` their obscured RGBA pixels packed in one
    flat uint8 array (``pipeline.obscured_patches``); ``detected``: the detector ran on this frame
    (else the tracker predicted); ``failed``: why the frame could not be processed (None if it was)."""

    regions: np.ndarray
    patches: np.ndarray
    detected: bool
    failed: str | None = None


class FrameProcessor:
    """The per-frame state of one stream: the tracker, the detection cadence and the stage clock.

    ``model``: awaitable (1, 3, H, W) float32 -> raw output, with ``input_wh`` and ``dynamic``. The detector runs on
    every ``settings.detect_every``-th processed frame; the tracker covers the frames between and
    the frames a source dropped (``gap``)."""

    def __init__(self, model: Callable[[np.ndarray], Awaitable[np.ndarray]], settings: Settings,
                 clock: StageClock | None = None) -> None:
        self.model = model
        self.settings = settings
        self.clock = clock or StageClock()
        self.tracker = Tracker()
        self.processed = 0        # frames given to process()
        self.failed = 0
        self.most_regions = 0
        self._since_update = 0    # source frames since the tracker's last update

    async def process(self, rgb: np.ndarray, gap: int = 1) -> FrameResult:
        """Regions and obscured pixels for one H x W x 3 uint8 frame. ``gap``: source frames since
        the previous call (1 unless the source dropped frames; dropped frames widen the margins)."""
        self._since_update += max(1, gap)
        detect_now = self.processed % self.settings.detect_every == 0
        self.processed += 1
        try:
            if detect_now:
                found = await pipeline.detect_async(rgb, self.model, self.model.input_wh, self.settings, self.clock,
                                                     dynamic=self.model.dynamic)
                tracked = self.tracker.update(pipeline.select(found, self.settings.conf), frames=self._since_update)
                self._since_update = 0
            else:
                tracked = self.tracker.predict(self._since_update)
            regions, patches = pipeline.obscured_patches(rgb, tracked, self.settings)
            self.clock.lap("obscure")
        except Exception as exc:  # fail closed: the caller hides this frame whole
            self.failed += 1
            self.clock.lap("failed")
            return FrameResult(NO_REGIONS, NO_PIXELS, detect_now, f"{type(exc).__name__}: {exc}")
        self.most_regions = max(self.most_regions, len(regions))
        return FrameResult(regions.astype(np.int32), patches, detect_now)


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
