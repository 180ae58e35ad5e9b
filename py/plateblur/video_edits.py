"""A person's corrections to a processed video: tracks removed, regions drawn on a frame.

While a video is processed, each frame's obscured regions are recorded with the id of the track
they belong to (``TrackRecord``: rows of frame, track, x1, y1, x2, y2 in whole pixels). The edits
(``VideoEdits``, always the whole set) remove tracks (every row of them, on every frame) and add
regions drawn on a frame F, obscured from F up to frame G (default: the last frame), either where
they were drawn ("fixed") or following what was drawn over ("follow": template matching on the
decoded frames, so it runs during the re-export, frame after frame). ``Replay`` gives each frame's
edited regions to a re-export: ``ReplayProcessor``, the frame loop's processor (frames.py) that never
runs the detector.

Detector tracks have ids from 1 up; drawn region j has id -(j + 1) (``drawn_id``)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .boxes import to_pixel_regions
from .clock import StageClock
from .edits import EditError
from .frames import BaseProcessor, FrameRecord
from .settings import Settings

COLUMNS = 6                     # frame, track, x1, y1, x2, y2
TEMPLATE_SIDE = 24              # follow: the drawn content is compared at most this many samples a side
SEARCH_SHARE = 0.5              # follow: how far it may move per frame, as a share of the box's longer side
MIN_SEARCH_PX = 12              # ... and at least this many pixels
LUMA = np.float32([0.299, 0.587, 0.114])


def drawn_id(j: int) -> int:
    """The track id of drawn region j."""
    return -(j + 1)


class TrackRecord:
    """What a pass over a video obscured, frame by frame: ``rows`` int32 (N, 6), the ``failed``
    frames (hidden whole: their regions are unknown) and each track's kind (``kinds``: id -> "plate",
    "face" or "drawn")."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self.failed: list[int] = []
        self.kinds: dict[int, str] = {}

    def add(self, frame: int, ids: np.ndarray, regions: np.ndarray, kinds: tuple[str, ...] = ()) -> None:
        self.kinds.update(zip(np.asarray(ids).tolist(), kinds))
        part = np.empty((len(regions), COLUMNS), np.int32)
        part[:, 0] = frame
        part[:, 1] = ids
        part[:, 2:] = regions
        self._parts.append(part)

    def fail(self, frame: int) -> None:
        self.failed.append(frame)

    @property
    def rows(self) -> np.ndarray:
        return np.concatenate(self._parts) if self._parts else np.zeros((0, COLUMNS), np.int32)


@dataclass(frozen=True)
class Drawn:
    """A region drawn on ``frame`` (x1, y1, x2, y2 in frame pixels), obscured up to ``until``
    (inclusive; None: to the end), ``follow``ing the content drawn over or fixed in place."""

    frame: int
    box: tuple[float, float, float, float]
    follow: bool = False
    until: int | None = None

    def covers(self, index: int) -> bool:
        return self.frame <= index and (self.until is None or index <= self.until)


@dataclass(frozen=True)
class VideoEdits:
    removed: frozenset[int] = frozenset()       # track ids
    added: tuple[Drawn, ...] = ()

    @classmethod
    def from_plain(cls, value: dict | None, frame_count: int) -> "VideoEdits":
        """From ``{"removed": [track id], "added": [{frame, box: [x1, y1, x2, y2], mode: "fixed" |
        "follow", until: frame | null}]}`` (JSON-like) for a video of ``frame_count`` frames."""
        value = value or {}
        try:
            removed = frozenset(int(t) for t in value.get("removed") or ())
            added = tuple(_drawn(item) for item in value.get("added") or ())
        except EditError:
            raise
        except (TypeError, ValueError, KeyError) as exc:
            raise EditError(f"edits must be track ids and drawn regions {{frame, box, mode, until}} ({exc})") from None
        for d in added:
            if not 0 <= d.frame < frame_count:
                raise EditError(f"a region is drawn on frame {d.frame}; the video has frames 0 to {frame_count - 1}")
            if d.until is not None and d.until < d.frame:
                raise EditError(f"a region drawn on frame {d.frame} cannot end before it, on frame {d.until}")
        return cls(removed, added)


def _drawn(item: dict) -> Drawn:
    box = tuple(float(v) for v in item["box"])
    if len(box) != 4 or not np.isfinite(box).all():
        raise EditError("a drawn region must be four finite numbers x1, y1, x2, y2")
    mode = item.get("mode", "fixed")
    if mode not in ("fixed", "follow"):
        raise ValueError(f"mode is 'fixed' or 'follow', not {mode!r}")
    until = item.get("until")
    x1, y1, x2, y2 = box
    return Drawn(int(item["frame"]), (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)), mode == "follow",
                 None if until is None else int(until))


class Replay:
    """The edited regions of each frame, for a re-export that visits the frames in order:
    the recorded rows less the removed tracks, plus the drawn regions that cover the frame."""

    def __init__(self, rows: np.ndarray, failed, edits: VideoEdits, kinds: dict[int, str] | None = None) -> None:
        """``kinds``: each recorded track's kind (``TrackRecord.kinds``); a track without one is a plate
        (records made before faces)."""
        self.kinds = {int(k): v for k, v in (kinds or {}).items()}
        rows = np.asarray(rows, np.int32).reshape(-1, COLUMNS)
        rows = rows[~np.isin(rows[:, 1], np.fromiter(edits.removed, np.int64, len(edits.removed)))]
        self.rows = rows[np.argsort(rows[:, 0], kind="stable")]
        self.failed = frozenset(int(f) for f in failed)
        self.edits = edits
        self._followers: dict[int, Follower] = {}

    def at(self, index: int, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(track ids int64 (N,), regions int32 (N, 4)) of frame ``index`` (H x W x 3 uint8)."""
        lo, hi = np.searchsorted(self.rows[:, 0], [index, index + 1])
        ids, regions = list(self.rows[lo:hi, 1]), list(self.rows[lo:hi, 2:])
        for j, drawn in enumerate(self.edits.added):
            if not drawn.covers(index):
                continue
            box = drawn.box
            if drawn.follow:
                follower = self._followers.get(j)
                if follower is None:                 # its first frame (or the first one this pass sees)
                    follower = self._followers[j] = Follower(rgb, box)
                else:
                    box = follower.step(rgb)
            region = to_pixel_regions(np.asarray([box], np.float32), rgb.shape[1::-1])
            if len(region):
                ids.append(drawn_id(j))
                regions.append(region[0])
        return np.asarray(ids, np.int64), np.asarray(regions, np.int32).reshape(-1, 4)


class Follower:
    """Follows the content of a box from frame to frame: the box moves (never resizes) to where
    the frame's luma best matches what it held (zero-mean sum of squared differences, compared as
    at most ``TEMPLATE_SIDE`` block means a side, so to the nearest block; the template slowly takes on the content's changes).
    A plain box on a plain background stays where it is."""

    def __init__(self, rgb: np.ndarray, box) -> None:
        self.box = np.asarray(box, np.float64)
        w, h = self.box[2:] - self.box[:2]
        self.step_px = max(1, math.ceil(max(w, h) / TEMPLATE_SIDE))       # pixels per sample
        self.size = (max(1, math.ceil(h / self.step_px)), max(1, math.ceil(w / self.step_px)))
        self.reach = max(1, math.ceil(max(MIN_SEARCH_PX, SEARCH_SHARE * max(w, h)) / self.step_px))
        self.template = self._samples(rgb, *self._corner(), *self.size)

    def _corner(self) -> tuple[int, int]:
        return int(round(self.box[0])), int(round(self.box[1]))

    def _samples(self, rgb: np.ndarray, x: int, y: int, rows: int, cols: int) -> np.ndarray:
        """Luma means of ``rows`` x ``cols`` blocks of ``step_px`` pixels a side from (x, y); the
        frame's edge pixels repeat beyond it."""
        s = self.step_px
        ys = np.clip(np.arange(rows * s) + y, 0, rgb.shape[0] - 1)
        xs = np.clip(np.arange(cols * s) + x, 0, rgb.shape[1] - 1)
        luma = rgb[np.ix_(ys, xs)][..., :3].astype(np.float32) @ LUMA
        return luma.reshape(rows, s, cols, s).mean(axis=(1, 3))

    def step(self, rgb: np.ndarray) -> tuple[float, float, float, float]:
        """The box on the next frame."""
        r, s = self.reach, self.step_px
        (th, tw), (x, y) = self.size, self._corner()
        window = self._samples(rgb, x - r * s, y - r * s, th + 2 * r, tw + 2 * r)
        views = np.lib.stride_tricks.sliding_window_view(window, (th, tw))      # (2r+1, 2r+1, th, tw)
        diff = views - (self.template - self.template.mean())
        n = th * tw
        cost = (diff ** 2).sum(axis=(2, 3)) - diff.sum(axis=(2, 3)) ** 2 / n
        dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
        cost += 1e-3 * (dx ** 2 + dy ** 2) * max(float(cost.max() - cost.min()), 1e-6) / (2 * r * r)  # ties: stay
        best_y, best_x = np.unravel_index(int(np.argmin(cost)), cost.shape)
        self.box += np.array([best_x - r, best_y - r] * 2, np.float64) * s
        self.template = 0.75 * self.template + 0.25 * views[best_y, best_x]
        return tuple(float(v) for v in self.box)


class ReplayProcessor(BaseProcessor):
    """A re-export's stand-in for ``frames.FrameProcessor``: each frame's regions come from an edited
    record (``Replay``), never from the detector. A frame that failed when the video was processed is
    hidden whole again (its regions were never known)."""

    def __init__(self, replay: Replay, settings: Settings, clock: StageClock | None = None,
                 record: FrameRecord | None = None) -> None:
        super().__init__(settings, clock, record)
        self.replay = replay

    async def _regions(self, frame, gap, index):
        ids, regions = self.replay.at(index, await frame.rgb())   # also for a failed frame: followed regions go on
        if index in self.replay.failed:
            raise FrameFailedBefore(f"frame {index} failed when the video was processed")
        kinds = tuple("drawn" if i < 0 else self.replay.kinds.get(i, "plate") for i in ids.tolist())
        return ids, regions, False, kinds


class FrameFailedBefore(RuntimeError):
    """A re-exported frame that was hidden whole the first time."""
