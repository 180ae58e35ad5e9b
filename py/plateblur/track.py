"""Frame-to-frame tracking for video and camera: keep obscuring a plate on frames where the
detector missed it or did not run.

A small cousin of ByteTrack (as in ``supervision``): each track remembers the centre and size
(cx, cy, w, h) of its last detection and a per-frame velocity of both, estimated with exponential
smoothing. On a frame without a detection of it, a track's region is its box moved at that
velocity and grown on every side, so a plate missed once, or on frames the detector skipped, is
still covered. The growth errs on the side of hiding: a region a little too large costs a little
extra blur, one too small shows a plate.

Frames are counted by the caller: ``update(detections, frames)`` and ``predict(frames)`` both take
the number of frames since the last ``update``. ``predict`` changes nothing, so it can be called
for each frame between two detections (the 'fast' mode, or camera frames that detection could not
keep up with)::

    tracker = Tracker()
    regions = tracker.update(detections_of_frame_0)           # frame 0: detected
    regions = tracker.predict(1)                              # frame 1: not detected
    regions = tracker.predict(2)                              # frame 2: not detected
    regions = tracker.update(detections_of_frame_3, frames=3) # frame 3: detected

A track keeps its detections' kind (``class_id``: plate or face) and matches detections of that kind
only. Feed it the detections kept at the user's threshold (``pipeline.select``): every candidate given
starts or feeds a track. A track needs two detections for a velocity; until then only the margin
covers its motion, so a plate first seen moving fast, then missed, can outrun its region.
Boxes are not clipped to the frame (the tracker does not know its size); ``pad_boxes`` /
``to_pixel_regions`` clip when rendering."""
from __future__ import annotations

import operator

import numpy as np

from .boxes import box_iou_batch
from .detections import Detections


def _to_cxcywh(xyxy: np.ndarray) -> np.ndarray:
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    return np.concatenate([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]], axis=1)


def _to_xyxy(cxcywh: np.ndarray) -> np.ndarray:
    half = cxcywh[:, 2:] / 2
    return np.concatenate([cxcywh[:, :2] - half, cxcywh[:, :2] + half], axis=1)


def _greedy_match(iou: np.ndarray, min_iou: float) -> list[tuple[int, int]]:
    """(row, column) pairs, highest IoU first, each row and column used at most once; pairs
    below ``min_iou`` are never matched. Ties go to the lower row, then the lower column."""
    rows, cols = np.nonzero(iou >= min_iou)
    order = np.argsort(-iou[rows, cols], kind="stable")
    used_rows, used_cols, pairs = set(), set(), []
    for r, c in zip(rows[order].tolist(), cols[order].tolist()):
        if r not in used_rows and c not in used_cols:
            used_rows.add(r)
            used_cols.add(c)
            pairs.append((r, c))
    return pairs


def _frames(frames) -> int:
    if isinstance(frames, bool):
        raise TypeError("frames must be an int, not a bool")
    frames = operator.index(frames)
    if frames < 1:
        raise ValueError(f"frames must be at least 1, not {frames}")
    return frames


class Tracker:
    """Greedy IoU tracker with constant-velocity prediction and a growing safety margin.

    ``max_missed``: frames a track keeps its region after its last detection. Longer covers
    longer detector dropouts (a passing lorry, motion blur) but leaves a region behind for
    longer after a plate has truly left or been hidden.

    ``margin_per_frame``: growth on every side, per frame since the last detection, as a share of
    the predicted width/height (on top of growth by the distance the centre has moved). Larger is
    safer against braking, turning and a poor velocity estimate, and hides more of the frame.

    ``min_iou``: least overlap between a track's predicted box and a detection for them to be the
    same plate. Lower keeps identities through fast motion and poor predictions; higher avoids a
    track jumping to a different plate close by. Must be above 0.

    ``smoothing``: weight of the previous velocity estimate against the newest measurement, in
    [0, 1). Higher is steadier against detector jitter and slower to follow a change of speed; 0
    uses the last displacement only."""

    def __init__(self, *, max_missed: int = 8, margin_per_frame: float = 0.15, min_iou: float = 0.1,
                 smoothing: float = 0.5) -> None:
        if isinstance(max_missed, bool):
            raise TypeError("max_missed must be an int, not a bool")
        max_missed = operator.index(max_missed)
        if max_missed < 0:
            raise ValueError(f"max_missed must be at least 0, not {max_missed}")
        if not 0 <= margin_per_frame <= 10:
            raise ValueError(f"margin_per_frame must be between 0 and 10, not {margin_per_frame}")
        if not 0 < min_iou <= 1:
            raise ValueError(f"min_iou must be above 0 and at most 1, not {min_iou}")
        if not 0 <= smoothing < 1:
            raise ValueError(f"smoothing must be at least 0 and below 1, not {smoothing}")
        self.max_missed = max_missed
        self.margin_per_frame = float(margin_per_frame)
        self.min_iou = float(min_iou)
        self.smoothing = float(smoothing)
        self.reset()

    def reset(self) -> None:
        """Forget every track (for a new video or camera session); ids start again at 1."""
        self._ids = np.zeros(0, np.int64)
        self._state = np.zeros((0, 4), np.float64)        # cx, cy, w, h of the last detection
        self._velocity = np.zeros((0, 4), np.float64)     # per frame; 0 until a second detection
        self._has_velocity = np.zeros(0, bool)
        self._missed = np.zeros(0, np.int64)              # frames since the last detection
        self._score = np.zeros(0, np.float32)             # confidence of the last detection
        self._class = np.zeros(0, np.int64)               # the kind of box tracked (detections.KINDS)
        self._next_id = 1

    @property
    def track_count(self) -> int:
        """Number of tracks held (some may be past ``max_missed`` by the next frame)."""
        return len(self._ids)

    # --- prediction ------------------------------------------------------------------------------

    def _predicted(self, steps: np.ndarray, which=slice(None)) -> np.ndarray:
        """The ``which`` tracks' boxes ``steps`` frames after their last detection, as cxcywh:
        centre and size moved at the estimated velocity. The size never shrinks below the last
        detected size (a wrong shrink would uncover the plate)."""
        state, steps = self._state[which], steps[which]
        moved = state + self._velocity[which] * steps[:, None]
        moved[:, 2:] = np.maximum(moved[:, 2:], state[:, 2:])
        return moved

    def _grown(self, steps: np.ndarray, which=slice(None)) -> np.ndarray:
        """The predicted boxes as xyxy, grown on every side by ``margin_per_frame * steps`` times
        their width/height plus the distance their centre has moved since the last detection."""
        box = self._predicted(steps, which)
        velocity, steps = self._velocity[which], steps[which]
        shift = np.hypot(velocity[:, 0], velocity[:, 1]) * steps
        grow = self.margin_per_frame * steps[:, None] * box[:, 2:] + shift[:, None]
        box[:, 2:] += 2 * grow
        return _to_xyxy(box)

    def predict(self, frames: int = 1) -> Detections:
        """Regions to obscure on a frame where detection did not run, ``frames`` frames after the
        last ``update``: every track still live then (at most ``max_missed`` frames since its last
        detection), with its predicted, grown box, last confidence and id. Changes nothing."""
        steps = self._missed + _frames(frames)
        live = steps <= self.max_missed
        return Detections(self._grown(steps, live), self._score[live], self._ids[live], self._class[live])

    # --- update ----------------------------------------------------------------------------------

    def update(self, detections: Detections, frames: int = 1) -> Detections:
        """Match ``detections`` (of a frame ``frames`` frames after the last update) to the tracks
        and return the regions to obscure on that frame, each with its ``tracker_id``.

        The output starts with every input detection, in input order, with its own box and
        confidence (a detection that matched no track starts one with a fresh id); then come the
        live tracks that matched no detection, each with its predicted, grown box and last
        confidence. A track that goes more than ``max_missed`` frames without a detection is
        dropped; one detected again on the frame after its last carried one goes on. Any
        ``tracker_id`` on the input is ignored."""
        frames = _frames(frames)
        det_xyxy = detections.xyxy
        if not np.isfinite(det_xyxy).all():
            raise ValueError("detections contain a non-finite box")

        # tracks shown on every frame since their last detection may match
        steps = self._missed + frames
        self._keep(steps <= self.max_missed + 1)
        steps = steps[steps <= self.max_missed + 1]
        pairs = []
        if len(steps) and len(det_xyxy):
            predicted = _to_xyxy(self._predicted(steps))
            iou = box_iou_batch(predicted, det_xyxy)
            iou[self._class[:, None] != detections.class_id[None, :]] = 0     # a plate never becomes a face
            pairs = _greedy_match(iou, self.min_iou)
        t_idx = np.array([t for t, _ in pairs], np.int64)
        d_idx = np.array([d for _, d in pairs], np.int64)
        unmatched = np.ones(len(steps), bool)
        unmatched[t_idx] = False
        carry = unmatched & (steps <= self.max_missed)

        # what the carried tracks show, before any state changes
        carried = Detections(self._grown(steps, carry), self._score[carry], self._ids[carry], self._class[carry])

        # matched tracks: velocity from the displacement since their last detection, then the new state
        det_state = _to_cxcywh(det_xyxy)
        if len(pairs):
            observed = (det_state[d_idx] - self._state[t_idx]) / steps[t_idx, None]
            blended = self.smoothing * self._velocity[t_idx] + (1 - self.smoothing) * observed
            self._velocity[t_idx] = np.where(self._has_velocity[t_idx, None], blended, observed)
            self._has_velocity[t_idx] = True
            self._state[t_idx] = det_state[d_idx]
            self._score[t_idx] = detections.confidence[d_idx]
        self._missed = np.where(unmatched, steps, 0)
        ids = np.empty(len(det_xyxy), np.int64)
        ids[d_idx] = self._ids[t_idx]
        self._keep(~unmatched | carry)

        # unmatched detections: new tracks
        new = np.ones(len(det_xyxy), bool)
        new[d_idx] = False
        n_new = int(new.sum())
        ids[new] = np.arange(self._next_id, self._next_id + n_new, dtype=np.int64)
        self._next_id += n_new
        self._ids = np.concatenate([self._ids, ids[new]])
        self._state = np.concatenate([self._state, det_state[new]])
        self._velocity = np.concatenate([self._velocity, np.zeros((n_new, 4))])
        self._has_velocity = np.concatenate([self._has_velocity, np.zeros(n_new, bool)])
        self._missed = np.concatenate([self._missed, np.zeros(n_new, np.int64)])
        self._score = np.concatenate([self._score, detections.confidence[new]])
        self._class = np.concatenate([self._class, detections.class_id[new]])

        return Detections(np.concatenate([det_xyxy, carried.xyxy]),
                          np.concatenate([detections.confidence, carried.confidence]),
                          np.concatenate([ids, carried.tracker_id]),
                          np.concatenate([detections.class_id, carried.class_id]))

    def _keep(self, mask: np.ndarray) -> None:
        self._ids = self._ids[mask]
        self._state = self._state[mask]
        self._velocity = self._velocity[mask]
        self._has_velocity = self._has_velocity[mask]
        self._missed = self._missed[mask]
        self._score = self._score[mask]
        self._class = self._class[mask]
