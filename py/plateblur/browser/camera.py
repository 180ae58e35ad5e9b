"""Live camera frames in the worker: detect, track across frames (dropped ones included), obscure.

The page shows a camera frame only once this has returned its obscured regions; when it cannot
process a frame, the page shows nothing of it (fail closed)."""
from __future__ import annotations

import numpy as np

from .. import pipeline
from ..imageio import rgb_from_rgba
from ..settings import Settings
from ..track import Tracker
from . import bridge


class CameraSession:
    def __init__(self) -> None:
        self.tracker = Tracker()

    def reset(self) -> None:
        self.tracker.reset()

    async def process(self, model, rgba: bytes, width: int, height: int, frames_since_last: int,
                      settings: Settings) -> dict:
        """Regions and their obscured RGBA pixels for one frame; ``frames_since_last`` counts the
        camera frames since the previous processed one (dropped frames widen the tracks' margins)."""
        rgb = rgb_from_rgba(rgba, width, height)
        jobs = pipeline.prepare(rgb, model.input_wh, settings.max_downscale)
        outputs = [await model(job.tensor) for job in jobs]
        found = pipeline.select(pipeline.finish(outputs, jobs, settings.iou), settings.conf)
        tracked = self.tracker.update(found, frames=max(1, frames_since_last))
        rendered = pipeline.render_selected(rgb, tracked, settings)
        patches = []
        for x1, y1, x2, y2 in rendered.regions.tolist():
            patch = np.empty((y2 - y1, x2 - x1, 4), np.uint8)
            patch[:, :, :3] = rendered.image[y1:y2, x1:x2]
            patch[:, :, 3] = 255
            patches.append(bridge.to_uint8array(patch.tobytes()))
        return {"ok": True, "regions": rendered.regions.tolist(), "detected": len(found),
                "tracked": len(tracked), "patches": patches}
