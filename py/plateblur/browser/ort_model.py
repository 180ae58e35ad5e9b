"""The detector in onnxruntime-web (the page's counterpart of ``plateblur.onnx_model``)."""
from __future__ import annotations

import js
import numpy as np
from pyodide.ffi import to_js

from .bridge import ort, to_object, to_uint8array


class OrtModel:
    """Awaitable call: (1, 3, H, W) float32 -> raw output (1, 5, N). ``input_wh``: the model's input size."""

    def __init__(self, session, input_wh: tuple[int, int]):
        self.session = session
        self.input_wh = input_wh
        self.input_name = session.inputNames[0]
        self.output_name = session.outputNames[0]
        w, h = input_wh
        self.dims = to_js([1, 3, h, w])
        self.buffer = js.Float32Array.new(3 * h * w)  # allocated once, refilled per run

    @classmethod
    async def create(cls, model: bytes, wasm_url: str, threads: int) -> "OrtModel":
        ort.env.wasm.wasmPaths = wasm_url
        ort.env.wasm.numThreads = threads
        options = to_object({"executionProviders": ["wasm"], "graphOptimizationLevel": "all"})
        session = await ort.InferenceSession.create(to_uint8array(model), options)
        meta = session.inputMetadata[0] if hasattr(session, "inputMetadata") else None
        shape = list(meta.shape) if meta is not None and hasattr(meta, "shape") else [1, 3, 640, 640]
        h, w = (int(v) if isinstance(v, (int, float)) else 640 for v in shape[2:4])
        return cls(session, (w, h))

    async def __call__(self, tensor: np.ndarray) -> np.ndarray:
        self.buffer.assign(np.ascontiguousarray(tensor, dtype=np.float32).reshape(-1))
        feeds = js.Object.new()
        js.Reflect.set(feeds, self.input_name, ort.Tensor.new("float32", self.buffer, self.dims))
        results = await self.session.run(feeds)
        output = js.Reflect.get(results, self.output_name)
        shape = [int(v) for v in output.dims]
        data = np.frombuffer(output.data.to_bytes(), dtype=np.float32).reshape(shape)
        output.dispose()
        return data
