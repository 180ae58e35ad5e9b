"""Detections: parallel arrays of boxes in source-image pixels, each of one kind (plate or face)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("plate", "face")    # class_id 0, 1: what a box is (a region a user drew is "drawn": edits.py)
PLATE, FACE = range(len(KINDS))


@dataclass(frozen=True)
class Detections:
    """``xyxy`` float32 (N, 4) as x1, y1, x2, y2 in source pixels; ``confidence`` float32 (N,);
    ``tracker_id`` int64 (N,) or None; ``class_id`` int64 (N,), an index into KINDS (None: all plates).
    Index with an int, slice, index array or boolean mask."""

    xyxy: np.ndarray
    confidence: np.ndarray
    tracker_id: np.ndarray | None = None
    class_id: np.ndarray | None = None

    def __post_init__(self) -> None:
        xyxy = np.asarray(self.xyxy, dtype=np.float32)
        if xyxy.size == 0:
            xyxy = xyxy.reshape(0, 4)
        if xyxy.ndim != 2 or xyxy.shape[1] != 4:
            raise ValueError(f"xyxy must have shape (N, 4), got {xyxy.shape}")
        confidence = np.asarray(self.confidence, dtype=np.float32).reshape(-1)
        if len(confidence) != len(xyxy):
            raise ValueError(f"confidence has {len(confidence)} entries, xyxy has {len(xyxy)} boxes")
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "confidence", confidence)
        if self.tracker_id is not None:
            ids = np.asarray(self.tracker_id, dtype=np.int64).reshape(-1)
            if len(ids) != len(xyxy):
                raise ValueError(f"tracker_id has {len(ids)} entries, xyxy has {len(xyxy)} boxes")
            object.__setattr__(self, "tracker_id", ids)
        classes = np.zeros(len(xyxy), np.int64) if self.class_id is None else np.asarray(self.class_id, np.int64)
        if classes.ndim == 0:
            classes = np.full(len(xyxy), int(classes), np.int64)
        if classes.shape != (len(xyxy),):
            raise ValueError(f"class_id has {classes.size} entries, xyxy has {len(xyxy)} boxes")
        if len(classes) and not (0 <= classes.min() and classes.max() < len(KINDS)):
            raise ValueError(f"class_id must index {KINDS}, got {sorted(set(classes.tolist()))}")
        object.__setattr__(self, "class_id", classes)

    @classmethod
    def empty(cls) -> "Detections":
        return cls(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32))

    @classmethod
    def merge(cls, parts: list["Detections"]) -> "Detections":
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(np.concatenate([p.xyxy for p in parts]), np.concatenate([p.confidence for p in parts]),
                   class_id=np.concatenate([p.class_id for p in parts]))

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index) -> "Detections":
        if isinstance(index, (int, np.integer)):
            index = [index]
        ids = None if self.tracker_id is None else self.tracker_id[index]
        return Detections(self.xyxy[index], self.confidence[index], ids, self.class_id[index])

    def of_kind(self, kind: str) -> "Detections":
        """The boxes of one kind ("plate" or "face")."""
        return self[self.class_id == KINDS.index(kind)]

    @property
    def kinds(self) -> list[str]:
        """Each box's kind, as a name."""
        return [KINDS[c] for c in self.class_id.tolist()]

    def to_rows(self, decimals: int = 1) -> list[list[float]]:
        """[[x1, y1, x2, y2, score], ...] as plain floats (JSON-ready)."""
        return [[round(float(v), decimals) for v in box] + [round(float(s), 4)]
                for box, s in zip(self.xyxy, self.confidence)]
