"""User-facing settings with their defaults, shared by the page and the CLI."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from .obscure import OBSCURERS

# Photos; relative to the repo root (= the served site). Dynamic height and width: each frame runs at its
# own aspect (preprocess.input_for), e.g. 640x384 for 16:9 instead of 640x640.
MODEL_FILE = "models/plates-v3-dynamic.onnx"
# Video and camera: the same weights quantised to int8 (static, 200 train photos): about half the
# session.run time in onnxruntime-web; covered 0.910 on val against 0.917 for float (models/MODEL_CARD.md).
STREAM_MODEL_FILE = "models/plates-v3-dynamic-int8.onnx"
INPUT_SIDE = 640         # the long side a model with dynamic height and width runs at (preprocess.input_for)
DETECTION_FLOOR = 0.05   # the model keeps candidates down to this score, so the threshold can move freely


@dataclass(frozen=True)
class Settings:
    """``conf``: detection threshold; ``pad``: margin added on each side, as a share of the
    plate's width/height; ``mode``/``strength``: how regions are hidden; ``iou``: NMS overlap;
    ``max_downscale``: above this shrink factor the photo is also searched in tiles;
    ``detect_every``: video only, 1 = detect on every frame (the default), n = every n-th."""

    conf: float = 0.05      # detector v3's default: see models/MODEL_CARD.md (why these defaults)
    pad: float = 0.15
    mode: str = "blur"
    strength: float = 0.5
    iou: float = 0.5
    max_downscale: float = 2.0
    min_pad_px: float = 4.0
    detect_every: int = 1   # video: run the detector on every n-th frame, tracking fills in between
    thorough: bool = False  # also search the picture turned a quarter each way (sideways plates; 3x the time)


    def __post_init__(self) -> None:
        if self.mode not in OBSCURERS:
            raise ValueError(f"mode must be one of {', '.join(OBSCURERS)}, not {self.mode!r}")
        if not DETECTION_FLOOR <= self.conf <= 1:
            raise ValueError(f"conf must be between {DETECTION_FLOOR} and 1, not {self.conf}")
        if not 0 <= self.pad <= 2:
            raise ValueError(f"pad must be between 0 and 2, not {self.pad}")
        if not 0 < self.strength <= 1:
            raise ValueError(f"strength must be above 0 and at most 1, not {self.strength}")
        if not 0 < self.iou <= 1:
            raise ValueError(f"iou must be above 0 and at most 1, not {self.iou}")
        if not 1 <= self.detect_every <= 10:
            raise ValueError(f"detect_every must be between 1 and 10, not {self.detect_every}")
        if self.max_downscale < 1:
            raise ValueError(f"max_downscale must be at least 1, not {self.max_downscale}")

    @property
    def turns(self) -> tuple[int, ...]:
        """The quarter turns the detector searches (``pipeline.prepare``)."""
        return (0, 1, 3) if self.thorough else (0,)

    def updated(self, **changes) -> "Settings":
        """A copy with the given fields changed; unknown names and None values are ignored."""
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in changes.items() if k in known and v is not None})
