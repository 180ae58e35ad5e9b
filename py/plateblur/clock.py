"""Seconds spent per stage of a pipeline, for progress and the benchmarks' breakdown."""
from __future__ import annotations

import time


class StageClock:
    """``lap(stage)`` charges the time since the previous lap to ``stage``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.mark = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self.mark
        self.mark = now

    def ms(self) -> dict[str, float]:
        """Milliseconds per stage, in total."""
        return {stage: round(s * 1000, 2) for stage, s in self.seconds.items()}

    def per_frame_ms(self, frames: int) -> dict[str, float]:
        return {stage: round(s * 1000 / max(frames, 1), 2) for stage, s in self.seconds.items()}
