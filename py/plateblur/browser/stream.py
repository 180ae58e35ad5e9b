"""What video files and the live camera share per frame: detect, and hand back obscured patches."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .. import pipeline
from ..detections import Detections
from ..settings import Settings
from . import bridge


async def detect(model, rgb: np.ndarray, settings: Settings,
                 lap: Callable[[str], None] = lambda stage: None) -> Detections:
    """Detections at the threshold for one frame (H x W x 3 RGB); ``lap`` marks the stages' ends."""
    jobs = pipeline.prepare(rgb, model.input_wh, settings.max_downscale)
    lap("preprocess")
    outputs = [await model(job.tensor) for job in jobs]
    lap("run")
    return pipeline.select(pipeline.finish(outputs, jobs, settings.iou), settings.conf)


def patches_for_js(rgb: np.ndarray, kept: Detections, settings: Settings) -> tuple[list, list]:
    """The regions hiding ``kept`` and their obscured RGBA pixels as JS Uint8Arrays."""
    regions, patches = pipeline.obscured_patches(rgb, kept, settings)
    return regions.tolist(), [bridge.to_uint8array(patch) for patch in patches]
