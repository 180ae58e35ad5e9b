"""Photos in the page: decode, detect, obscure, encode; re-render from stored detections and the
person's edits (proposals removed, regions drawn: edits.py), never running the model again.

Bytes in, a plain dict out (the caller marshals it); the model is any awaitable detector."""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from .. import pipeline
from ..clock import StageClock
from ..detections import Detections
from ..edits import Edits, plan_regions
from ..imageio import Photo, decode_photo, encode_photo
from ..settings import Settings

CACHE_PIXELS = 120_000_000   # decoded photos kept for re-rendering; older ones are decoded again


class Photos:
    """Stored detections of every photo, and a pixel cache of the recent ones."""

    def __init__(self, cache_pixels: int = CACHE_PIXELS) -> None:
        self.cache_pixels = cache_pixels
        self.detections: dict[str, Detections] = {}
        self.edits: dict[str, Edits] = {}
        self.decoded: OrderedDict[str, Photo] = OrderedDict()

    def _decode(self, item_id: str, data: bytes, clock: StageClock) -> Photo:
        photo = self.decoded.get(item_id) or decode_photo(data)
        self.decoded[item_id] = photo
        self.decoded.move_to_end(item_id)
        while len(self.decoded) > 1 and sum(p.rgb.shape[0] * p.rgb.shape[1] for p in self.decoded.values()) \
                > self.cache_pixels:
            self.decoded.popitem(last=False)
        clock.lap("decode")
        return photo

    async def process(self, item_id: str, data: bytes, settings: Settings, model,
                      on_pass: Callable[[int, int], None] | None = None) -> dict:
        """Detect and obscure one photo (the bytes of a JPEG, PNG or WebP file). ``on_pass(i, n)``
        is told before each of the n model runs (large photos are also searched in tiles)."""
        self.forget(item_id)
        clock, passes = StageClock(), []

        def count_pass(i: int, n: int) -> None:
            passes.append(i)
            if on_pass:
                on_pass(i, n)

        photo = self._decode(item_id, data, clock)
        detections = await pipeline.detect_async(photo.rgb, model, model.input_wh, settings, clock, count_pass,
                                                   model.dynamic)
        self.detections[item_id] = detections
        result = self._result(item_id, photo, settings, clock)
        result["timings"]["runs"] = len(passes)
        return result

    def rerender(self, item_id: str, data: bytes, settings: Settings) -> dict:
        """Obscure again with new settings from the stored detections and edits (no model run)."""
        clock = StageClock()
        photo = self._decode(item_id, data, clock)
        return self._result(item_id, photo, settings, clock)

    def edit(self, item_id: str, data: bytes, settings: Settings, edits: dict | None) -> dict:
        """Replace the photo's edits (the whole set, see Edits.from_plain) and obscure again (no model run)."""
        edited = Edits.from_plain(edits, len(self.detections[item_id]))
        self.edits[item_id] = edited
        return self.rerender(item_id, data, settings)

    def forget(self, item_id: str) -> None:
        self.detections.pop(item_id, None)
        self.edits.pop(item_id, None)
        self.decoded.pop(item_id, None)

    def _result(self, item_id: str, photo: Photo, settings: Settings, clock: StageClock) -> dict:
        detections, edits = self.detections[item_id], self.edits.get(item_id, Edits())
        h, w = photo.rgb.shape[:2]
        planned = plan_regions(detections, (w, h), settings, edits)
        image = pipeline.obscure(photo.rgb, planned.regions, settings)
        clock.lap("obscure")
        encoded = encode_photo(photo, image, planned.regions)
        clock.lap("encode")
        return {"ok": True, "id": item_id, "width": w, "height": h, "mime": photo.mime,
                "extension": photo.extension, "boxes": planned.kept.to_rows(),
                "regions": planned.regions.tolist(), "region_ids": planned.ids,
                "removed": sorted(edits.removed), "added": [list(box) for box in edits.added],
                "timings": clock.ms(), "data": encoded}
