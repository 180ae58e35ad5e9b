"""The detector in CPython, through onnxruntime (the page uses onnxruntime-web instead)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


class OnnxModel:
    """Callable: (1, 3, H, W) float32 -> raw output (1, 5, N). ``input_wh`` is the model's input size."""

    def __init__(self, path: str | Path, threads: int = 0):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        meta = self.session.get_inputs()[0]
        self.input_name = meta.name
        h, w = meta.shape[2:]
        self.input_wh = (w if isinstance(w, int) else 640, h if isinstance(h, int) else 640)

    def __call__(self, tensor: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: tensor})[0]
