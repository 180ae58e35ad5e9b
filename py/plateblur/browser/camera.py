"""Live camera frames in the worker: detect, track across frames (dropped ones included), obscure.

The page shows a camera frame only once this has returned its obscured regions; when it cannot
process a frame, the page shows nothing of it (fail closed)."""
from __future__ import annotations

from ..imageio import rgb_from_rgba
from ..settings import Settings
from ..track import Tracker
from . import stream


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
        found = await stream.detect(model, rgb, settings)
        tracked = self.tracker.update(found, frames=max(1, frames_since_last))
        regions, patches = stream.patches_for_js(rgb, tracked, settings)
        return {"ok": True, "regions": regions, "detected": len(found), "tracked": len(tracked),
                "patches": patches}
