"""--regions FILE: obscure exactly the regions a file gives for each photo, without the model.

The file is JSON lines in --json's format (one object per photo: "path", "width", "height",
"regions" as [[x1, y1, x2, y2], ...] in whole photo pixels, "kinds" one per region: plate, face or drawn,
"drawn" where a line has none or its regions were edited without them), edited by hand or by another tool.
Photos are matched by path: a relative "path" is taken from the regions file's own folder (so a file
written where --json ran, or moved with its photos, still fits), an absolute one or a URI as it is.
Lines without "regions" (--json's error lines) are left out; a photo the file has no regions for is
that photo's error, never passed through unobscured; so is a video (regions files are for photos)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import pipeline
from ..imageio import ImageError
from ..settings import Settings
from ..usererror import UserError
from .batch import Task, read_photo, save
from .inputs import is_video
from .outputs import reason
from .remote import identity, location
from .video import VideoError

FOR_PHOTOS_ONLY = ("regions files are for photos only; run videos without --regions "
                   "(the model finds the plates in every frame)")


class RegionsError(UserError):
    """The regions file cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class Given:
    width: int | None
    height: int | None
    regions: list[list[int]]
    kinds: list[str]


REGION_KINDS = ("plate", "face", "drawn")   # what --json's "kinds" say; a line without them: "drawn"


@dataclass(frozen=True)
class RegionsFile:
    path: Path
    photos: dict

    def regions_for(self, source: Path, width: int, height: int) -> tuple[np.ndarray, list[str]]:
        """The regions given for the photo ``source`` (decoded as width x height) and their kinds;
        ImageError if none fit."""
        given = self.photos.get(identity(source))
        if given is None:
            raise ImageError(f"no regions for this photo in {self.path}")
        if (given.width, given.height) not in ((width, height), (None, None)):
            raise ImageError(f"the regions in {self.path} are for a {given.width}x{given.height} photo, "
                             f"this one is {width}x{height}")
        for x1, y1, x2, y2 in given.regions:
            if not 0 <= x1 < x2 <= width or not 0 <= y1 < y2 <= height:
                raise ImageError(f"region {[x1, y1, x2, y2]} in {self.path} does not lie within the "
                                 f"{width}x{height} photo")
        return np.asarray(given.regions, np.int32).reshape(-1, 4), given.kinds


def load(path: Path) -> RegionsFile:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RegionsError(f"cannot read {path} ({reason(exc) if isinstance(exc, OSError) else exc})") from None
    photos: dict = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            key, given = _parse(json.loads(line), path.parent)
        except (ValueError, TypeError, KeyError) as exc:
            raise RegionsError(f"{path}, line {number}: {_why(exc)}") from None
        if given is None:
            continue
        if key in photos:
            raise RegionsError(f"{path}, line {number}: a second line for {key}")
        photos[key] = given
    return RegionsFile(path, photos)


def _parse(record, folder: Path) -> tuple[Path, Given | None]:
    if not isinstance(record, dict) or not isinstance(record.get("path"), str):
        raise ValueError('each line must be a JSON object with a "path"')
    place = location(record["path"])
    key = identity(folder / place if isinstance(place, Path) else place)   # an absolute path stays as it is
    if "regions" not in record:
        return key, None
    size = record.get("width"), record.get("height")
    if size != (None, None) and not all(_whole(v) and v > 0 for v in size):
        raise ValueError('"width" and "height" must be whole numbers above 0')
    regions = record["regions"]
    if not isinstance(regions, list) or not all(isinstance(r, list) and len(r) == 4 and all(map(_whole, r))
                                                for r in regions):
        raise ValueError('"regions" must be a list of [x1, y1, x2, y2] in whole pixels')
    boxes = [[int(v) for v in r] for r in regions]
    for x1, y1, x2, y2 in boxes:
        if x2 <= x1 or y2 <= y1:
            what = "inverted" if x2 < x1 or y2 < y1 else "empty"
            raise ValueError(f"region {[x1, y1, x2, y2]} is {what}: x2 must be greater than x1, and y2 greater than y1")
    kinds = record.get("kinds")
    if kinds is not None and (not isinstance(kinds, list) or any(k not in REGION_KINDS for k in kinds)):
        raise ValueError(f'"kinds" must be a list of {", ".join(REGION_KINDS)}, one for each region')
    if kinds is None or len(kinds) != len(boxes):     # none given, or regions edited by hand: as drawn
        kinds = ["drawn"] * len(boxes)
    return key, Given(*(None if v is None else int(v) for v in size), boxes, kinds)


def _whole(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        and value == int(value)


def _why(exc: Exception) -> str:
    return f"not JSON ({exc})" if isinstance(exc, json.JSONDecodeError) else str(exc)


def anonymise(task: Task, given: RegionsFile, settings: Settings, overwrite: bool) -> dict:
    """One photo with exactly the given regions obscured (the settings' mode and strength; no padding,
    no threshold): its record in --json's format, "boxes" empty (no detector ran)."""
    if is_video(task.source):
        raise VideoError(FOR_PHOTOS_ONLY)
    photo = read_photo(task.source)
    h, w = photo.rgb.shape[:2]
    regions, kinds = given.regions_for(task.source, w, h)
    record = {"path": str(task.source), "width": w, "height": h, "boxes": [], "box_kinds": [],
              "regions": regions.tolist(), "kinds": kinds}
    return save(task, photo, pipeline.obscure(photo.rgb, regions, settings), regions, record, overwrite)
