"""Photos in the page: decode, detect, obscure, encode; re-render from stored detections and the
person's edits (proposals removed, regions drawn: edits.py), never running the model again (but for
a kind of box the settings hide that the photo was not searched for yet: ``search_more``).

Bytes in, a plain dict out (the caller marshals it); the model is any awaitable detector."""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from .. import pipeline
from ..clock import StageClock
from ..detections import KINDS, Detections
from ..edits import Edits, plan_regions
from ..imageio import Photo, decode_photo, encode_photo
from ..settings import KIND_OF, Settings

CACHE_PIXELS = 120_000_000   # decoded photos kept for re-rendering; older ones are decoded again


class Photos:
    """Stored detections of every photo, and a pixel cache of the recent ones."""

    def __init__(self, cache_pixels: int = CACHE_PIXELS) -> None:
        self.cache_pixels = cache_pixels
        self.detections: dict[str, Detections] = {}
        self.edits: dict[str, Edits] = {}
        self.searched: dict[str, tuple[str, ...]] = {}   # the kinds each photo's detections were searched for
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

    async def process(self, item_id: str, data: bytes, settings: Settings, models,
                      on_pass: Callable[[int, int], None] | None = None) -> dict:
        """Detect and obscure one photo (the bytes of a JPEG, PNG or WebP file). ``on_pass(i, n)``
        is told before each of the n model runs (large photos are also searched in tiles). ``models``:
        kind -> awaitable detector (``pipeline.Models``); the first gives the input size."""
        self.forget(item_id)
        clock, passes = StageClock(), []

        def count_pass(i: int, n: int) -> None:
            passes.append(i)
            if on_pass:
                on_pass(i, n)

        photo = self._decode(item_id, data, clock)
        first = pipeline.lead_model(models)
        detections = await pipeline.detect_async(photo.rgb, models, first.input_wh, settings, clock, count_pass,
                                                   first.dynamic)
        self.detections[item_id] = detections
        self.searched[item_id] = settings.kinds
        result = self._result(item_id, photo, settings, clock)
        result["timings"]["runs"] = len(passes)
        return result

    def unsearched(self, item_id: str, settings: Settings) -> list[str]:
        """The kinds the settings hide that the photo's stored detections were not searched for."""
        return [kind for kind in settings.kinds if kind not in self.searched.get(item_id, ())]

    async def search_more(self, item_id: str, data: bytes, settings: Settings, models,
                          on_pass: Callable[[int, int], None] | None = None) -> None:
        """Search the photo for the kinds ``unsearched`` names (``models``: theirs) and add what is found
        to its stored detections: those stored keep their indices, so the person's edits hold."""
        missing = self.unsearched(item_id, settings)
        if not missing:
            return
        clock = StageClock()
        photo = self._decode(item_id, data, clock)
        first = pipeline.lead_model(models)
        found = await pipeline.detect_async(photo.rgb, models, first.input_wh, settings.updated(hide=_hide_for(missing)),
                                            clock, on_pass, first.dynamic)
        searched = {*self.searched.get(item_id, ()), *missing}
        self.detections[item_id] = Detections.merge([self.detections[item_id], found])
        self.searched[item_id] = tuple(kind for kind in KINDS if kind in searched)

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
        self.searched.pop(item_id, None)
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
                "extension": photo.extension, "boxes": planned.kept.to_rows(), "box_kinds": planned.kept.kinds,
                "regions": planned.regions.tolist(), "region_ids": planned.ids, "kinds": planned.kinds,
                "removed": sorted(edits.removed), "added": [list(box) for box in edits.added],
                "searched": list(self.searched.get(item_id, ())), "timings": clock.ms(), "data": encoded}


def _hide_for(kinds) -> tuple[str, ...]:
    """The Settings.hide choices that hide ``kinds``."""
    return tuple(choice for choice, kind in KIND_OF.items() if kind in kinds)

