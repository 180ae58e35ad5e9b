"""The detector in CPython, through onnxruntime (the page uses onnxruntime-web instead)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..settings import INPUT_SIDE
from ..usererror import UserError


class OnnxModel:
    """Callable: (1, 3, H, W) float32 -> raw output (1, 5, N). ``input_wh`` is the model's input size;
    ``dynamic``: the model takes any height and width (multiples of 32), and ``input_wh`` is then
    (``side``, ``side``), the long side it runs at (``pipeline.input_for`` picks each frame's input).
    ``spin`` False: ONNX Runtime's threads sleep between calls instead of spinning, leaving the cores
    to threads that decode and encode meanwhile (the CLI's batches)."""

    def __init__(self, path: str | Path, threads: int = 0, spin: bool = True, side: int = INPUT_SIDE):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        if not spin:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        meta = self.session.get_inputs()[0]
        self.input_name = meta.name
        h, w = meta.shape[2:]
        self.dynamic = not (isinstance(w, int) and isinstance(h, int))
        self.input_wh = (side, side) if self.dynamic else (w, h)

    def __call__(self, tensor: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: tensor})[0]


class ModelError(UserError):
    """The model file cannot be used; one line for the user."""


def load_checked(path: Path, spin: bool = True) -> OnnxModel:
    """``path`` loaded once, or ModelError saying what is wrong with it (checked before a run starts,
    rather than failing each photo)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ModelError(f"cannot use the model {path} ({exc.strerror or exc})") from None
    if not path.is_file():
        raise ModelError(f"cannot use the model {path}: it is not a file")
    if not size:
        raise ModelError(f"cannot use the model {path}: the file is empty")
    try:
        model = OnnxModel(path, spin=spin)
    except Exception as exc:     # onnxruntime's InvalidProtobuf, Fail, ...: the file is not a model it takes
        detail = (str(exc).splitlines() or [type(exc).__name__])[0]
        why = "" if "INVALID_PROTOBUF" in detail else f" ({detail})"
        raise ModelError(f"cannot use the model {path}: it is not an ONNX model{why}") from None
    if len(model.session.get_inputs()[0].shape) != 4:
        raise ModelError(f"cannot use the model {path}: it is not a detector (its input is not an image batch)")
    return model
