"""The one frame loop of video files and the live camera: source -> frames -> detect -> track ->
obscure -> sink, until the source ends.

``job`` is a frame source and sink (``bridge.FrameJob`` in the page; anything with the same
``next``/``commit`` in tests): it holds each frame until ``commit`` has pasted the obscured regions
into it, or hidden it whole when processing failed, so no frame passes on unobscured."""
from __future__ import annotations

from ..frames import BaseProcessor
from .errors import FaceModelError


async def run(job, processor: BaseProcessor, kept: dict | None = None) -> int:
    """Process every frame ``job`` gives; returns the number of frames. New settings that come with
    a frame (the camera's sliders) apply from that frame on, except the fields ``kept`` fixes; settings
    that hide a kind the processor has no model for (Faces ticked, the face model missing) stop the
    stream with a FaceModelError before that frame passes on."""
    clock = processor.clock
    while (frame := await job.next()) is not None:
        clock.lap("decode")
        if frame.settings:
            processor.settings = processor.settings.updated(**{**frame.settings, **(kept or {})})
            _check_models(processor)
        result = await processor.process(frame.pixels, frame.gap)
        await job.commit(result)
        clock.lap("encode")
    return processor.processed


def _check_models(processor: BaseProcessor) -> None:
    models = getattr(processor, "model", None)
    if isinstance(models, dict) and not set(processor.settings.kinds) <= set(models):
        raise FaceModelError()
