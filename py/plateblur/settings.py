"""User-facing settings and every rule a control obeys, shared by the page and the CLI.

``Settings`` validates against ``RANGES``; the worker sends ``controls()`` to the page at load, which
builds its select, sliders, "Fast video" and the camera's settings from it; the CLI's flags read the same
rules (cpython/cli.py). So the page, the CLI and ``Settings`` cannot disagree."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from .obscure import OBSCURERS

# Photos; relative to the repo root (= the served site). Dynamic height and width: each frame runs at its
# own aspect (preprocess.input_for), e.g. 640x384 for 16:9 instead of 640x640.
MODEL_FILE = "models/plates-v3-dynamic.onnx"
# Video and camera: the same weights quantised to int8 (static, 200 train photos): about half the
# session.run time in onnxruntime-web; covered 0.910 on val against 0.917 for float (models/MODEL_CARD.md).
STREAM_MODEL_FILE = "models/plates-v3-dynamic-int8.onnx"
# Faces: CenterFace (MIT), re-exported to take the plate model's own input (tools/eval/export_faces.py), so a
# frame is prepared once for both; float only (models/MODEL_CARD.md, faces).
FACE_MODEL_FILE = "models/faces-centerface.onnx"
# The CLI's videos: the same weights in static int8 (calibrated on plate training photos), half the float's
# time per frame in onnxruntime on a CPU. Not in the page: there WASM runs the float file faster
# (models/FACE_MODEL_CARD.md).
STREAM_FACE_MODEL_FILE = "models/faces-centerface-int8.onnx"
INPUT_SIDE = 640         # the long side a model with dynamic height and width runs at (preprocess.input_for)
DETECTION_FLOOR = 0.05   # the model keeps candidates down to this score, so the threshold can move freely


@dataclass(frozen=True)
class Range:
    """The values a number may take, both ends included; a slider moves by ``step``."""
    min: float
    max: float
    step: float

    def __str__(self) -> str:
        return f"{self.min:g} to {self.max:g}"

    def check(self, name: str, value: float) -> None:
        if not self.min <= value <= self.max:           # NaN fails too
            raise ValueError(f"{name} must be between {self.min:g} and {self.max:g}, not {value}")


MODES = tuple(OBSCURERS)                 # blur, pixelate, fill: the page's select, the CLI's --mode
WITHOUT_STRENGTH = frozenset({"fill"})   # a solid fill has no strength: its slider is disabled
RANGES = {
    # Every strength above 0 hides the characters (README: what an OCR adversary reads); the slider has
    # always started at 0.1.
    "strength": Range(0.1, 1.0, 0.05),
    # Covered on val (602 plates, conf 0.05, tools.eval.sweep): 0.924 at pad 0 (the box and min_pad_px),
    # 0.929 at 0.15, 0.932 at 0.6; 0.6 on each side makes a region 2.2 times the plate: wider hides the car.
    "pad": Range(0.0, 0.6, 0.05),
    # A higher threshold only misses more plates (models/MODEL_CARD.md: covered 0.929 at 0.05, 0.894 at 0.3).
    "conf": Range(DETECTION_FLOOR, 0.9, 0.05),
    "detect_every": Range(1, 10, 1),     # video: the detector on every n-th frame, tracking in between
}
HIDE = ("plates", "faces")               # what can be hidden (the page's "Hide", the CLI's --hide); both by default
KIND_OF = {"plates": "plate", "faces": "face"}   # a hide choice -> the kind of box it hides (detections.KINDS)
# Faces have their own threshold (the slider moves the plates'): measured on the face set (docs/faces.md).
FACE_CONF = 0.2
# A face box runs from brow to chin; hair, ears and chin need more room than a plate's: faces get this
# much padding on top of the user's pad (docs/faces.md: what keeps them unrecognisable).
FACE_EXTRA_PAD = 0.25
SLIDERS = ("strength", "pad", "conf")    # the page's sliders, in the order of the form
FAST_VIDEO = {"detect_every": 3}         # "Fast video": the detector on every third frame
CAMERA = {"thorough": False}             # the live view keeps its pace: never the thorough search (3x the time)


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
    hide: tuple[str, ...] = HIDE   # what to hide: plates, faces or both
    face_conf: float = FACE_CONF

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        for name, allowed in RANGES.items():
            allowed.check(name, getattr(self, name))
        if not 0 < self.iou <= 1:
            raise ValueError(f"iou must be above 0 and at most 1, not {self.iou}")
        hide = tuple(self.hide)
        if not hide or any(h not in HIDE for h in hide) or len(set(hide)) != len(hide):
            raise ValueError(f"hide must name one or both of {', '.join(HIDE)}, not {', '.join(map(str, hide)) or 'nothing'}")
        object.__setattr__(self, "hide", tuple(h for h in HIDE if h in hide))
        if not DETECTION_FLOOR <= self.face_conf <= 1:
            raise ValueError(f"face_conf must be between {DETECTION_FLOOR} and 1, not {self.face_conf}")
        if self.max_downscale < 1:
            raise ValueError(f"max_downscale must be at least 1, not {self.max_downscale}")

    @property
    def turns(self) -> tuple[int, ...]:
        """The quarter turns the detector searches (``pipeline.prepare``)."""
        return (0, 1, 3) if self.thorough else (0,)

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of box hidden ("plate", "face"), in detections.KINDS order."""
        return tuple(KIND_OF[h] for h in self.hide)

    def updated(self, **changes) -> "Settings":
        """A copy with the given fields changed; unknown names and None values are ignored."""
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in changes.items() if k in known and v is not None})


def controls() -> dict:
    """The rules as plain values, for the page (the worker's load() reply: protocol.json)."""
    return {"modes": [{"name": mode, "strength": mode not in WITHOUT_STRENGTH} for mode in MODES],
            "ranges": {name: asdict(allowed) for name, allowed in RANGES.items()},
            "sliders": list(SLIDERS), "hide": list(HIDE), "fast_video": dict(FAST_VIDEO), "camera": dict(CAMERA),
            "defaults": asdict(Settings())}
