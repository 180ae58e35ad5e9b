"""Detections: parallel arrays of boxes in source-image pixels."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Detections:
    """``xyxy`` float32 (N, 4) as x1, y1, x2, y2 in source pixels; ``confidence`` float32 (N,);
    ``tracker_id`` int64 (N,) or None. Index with an int, slice, index array or boolean mask."""

    xyxy: np.ndarray
    confidence: np.ndarray
    tracker_id: np.ndarray | None = None

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

    @classmethod
    def empty(cls) -> "Detections":
        return cls(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32))

    @classmethod
    def merge(cls, parts: list["Detections"]) -> "Detections":
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(np.concatenate([p.xyxy for p in parts]), np.concatenate([p.confidence for p in parts]))

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index) -> "Detections":
        if isinstance(index, (int, np.integer)):
            index = [index]
        ids = None if self.tracker_id is None else self.tracker_id[index]
        return Detections(self.xyxy[index], self.confidence[index], ids)

    def to_rows(self, decimals: int = 1) -> list[list[float]]:
        """[[x1, y1, x2, y2, score], ...] as plain floats (JSON-ready)."""
        return [[round(float(v), decimals) for v in box] + [round(float(s), 4)]
                for box, s in zip(self.xyxy, self.confidence)]
