"""A person's corrections to what the detector proposed for one photo: proposals removed, regions drawn.

Proposals are named by their index in the photo's stored Detections, which stay fixed until the photo
is detected again, so a removal holds whatever the threshold and padding: a proposal removed at one
threshold stays removed at any other. A drawn region is obscured exactly as drawn (no padding, no
threshold: what the person outlined is what is hidden)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .boxes import to_pixel_regions
from .detections import Detections
from .pipeline import covering, kept_indices
from .settings import Settings


class EditError(ValueError):
    """Edits that do not fit the photo or video they are for (the message says why): a photo's
    (``Edits``) or a video's (``video_edits.VideoEdits``). The page's own controls build them, so one
    is a page bug, told as an internal error (it is no UserError)."""


@dataclass(frozen=True)
class Edits:
    removed: frozenset[int] = frozenset()                       # indices into the stored detections
    added: tuple[tuple[float, float, float, float], ...] = ()    # x1, y1, x2, y2 in photo pixels

    @classmethod
    def from_plain(cls, value: dict | None, detections: int) -> "Edits":
        """From ``{"removed": [index, ...], "added": [[x1, y1, x2, y2], ...]}`` (JSON-like);
        ``detections``: how many the photo has stored."""
        value = value or {}
        try:
            removed = frozenset(int(i) for i in value.get("removed") or ())
            added = tuple(tuple(float(v) for v in box) for box in value.get("added") or ())
        except (TypeError, ValueError) as exc:
            raise EditError(f"edits must be whole-number indices and numeric boxes ({exc})") from None
        if any(not 0 <= i < detections for i in removed):
            raise EditError(f"a removed proposal is not one of the photo's {detections}")
        if any(len(box) != 4 or not np.isfinite(box).all() for box in added):
            raise EditError("a drawn region must be four finite numbers x1, y1, x2, y2")
        return cls(removed, added)


@dataclass(frozen=True)
class RegionPlan:
    """What to obscure: ``regions`` int32 (N, 4) with ``ids`` and ``kinds`` parallel to them ("d<i>":
    stored detection i, padded; "a<j>": drawn region j; kinds "plate", "face" or "drawn"); ``kept``: the
    detections obscured."""

    kept: Detections
    regions: np.ndarray
    ids: list[str]
    kinds: list[str]


def plan_regions(detections: Detections, frame_wh: tuple[int, int], settings: Settings,
                 edits: Edits = Edits()) -> RegionPlan:
    """The regions for the detections kept at the settings' thresholds and kinds, less the removed ones,
    plus the drawn ones (which hide whatever is under them)."""
    indices = [i for i in kept_indices(detections, settings).tolist() if i not in edits.removed]
    kept = detections[np.asarray(indices, np.intp)]
    detected, rows = covering(kept, frame_wh, settings)
    regions, ids = list(detected), [f"d{indices[k]}" for k in rows.tolist()]
    kinds = [kept.kinds[k] for k in rows.tolist()]
    for j, box in enumerate(edits.added):
        drawn = to_pixel_regions(np.asarray([_ordered(box)], np.float32), frame_wh)
        if len(drawn):
            regions.append(drawn[0])
            ids.append(f"a{j}")
            kinds.append("drawn")
    return RegionPlan(kept, np.asarray(regions, np.int32).reshape(-1, 4), ids, kinds)


def _ordered(box) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = box
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)
