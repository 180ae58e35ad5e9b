"""The detector in onnxruntime-web (the page's counterpart of ``plateblur.cpython.onnx_model``).

WebGPU where the browser gives an adapter, else WASM. If WebGPU fails at any point (the session does not
compile, a run fails, the device is lost), the model moves to WASM for good and the failed run is repeated
there, so no frame is lost or passed on unobscured."""
from __future__ import annotations

import js
import numpy as np
from pyodide.ffi import create_proxy, to_js

from ..settings import INPUT_SIDE
from .bridge import ort, ort_webgpu, report, to_object, to_uint8array


async def webgpu_adapter() -> bool:
    """Whether this worker's ``navigator.gpu`` gives an adapter."""
    gpu = getattr(js.navigator, "gpu", None)
    if not gpu:
        return False
    try:
        return bool(await gpu.requestAdapter())
    except Exception:  # noqa: BLE001 - no adapter, whatever the reason
        return False


class OrtSession:
    """One onnxruntime-web session on one backend: (1, 3, H, W) float32 -> raw output (1, 5, N)."""

    def __init__(self, session, backend: str):
        self.session, self.backend = session, backend
        self.input_name = session.inputNames[0]
        self.output_name = session.outputNames[0]
        self.inputs: dict[tuple[int, ...], tuple] = {}   # shape -> (Float32Array, dims), allocated once

    @classmethod
    async def create(cls, model: bytes, backend: str, wasm_url: str, threads: int) -> "OrtSession":
        module = ort_webgpu if backend == "webgpu" else ort
        module.env.wasm.wasmPaths = wasm_url
        module.env.wasm.numThreads = threads
        options = to_object({"executionProviders": [backend], "graphOptimizationLevel": "all"})
        return cls(await module.InferenceSession.create(to_uint8array(model), options), backend)

    def input_shape(self) -> list:
        """The input's declared dims: numbers, or names for dynamic ones."""
        meta = self.session.inputMetadata[0] if hasattr(self.session, "inputMetadata") else None
        return list(meta.shape) if meta is not None and hasattr(meta, "shape") else [1, 3, 640, 640]

    async def run(self, tensor: np.ndarray) -> np.ndarray:
        module = ort_webgpu if self.backend == "webgpu" else ort
        shape = tuple(tensor.shape)
        if shape not in self.inputs:
            self.inputs[shape] = (js.Float32Array.new(int(np.prod(shape))), to_js(list(shape)))
        buffer, dims = self.inputs[shape]
        buffer.assign(np.ascontiguousarray(tensor, dtype=np.float32).reshape(-1))
        feeds = js.Object.new()
        js.Reflect.set(feeds, self.input_name, module.Tensor.new("float32", buffer, dims))
        results = await self.session.run(feeds)
        output = js.Reflect.get(results, self.output_name)
        data = np.frombuffer(output.data.to_bytes(), dtype=np.float32).reshape([int(v) for v in output.dims])
        output.dispose()
        return data


class OrtModel:
    """Awaitable call: (1, 3, H, W) float32 -> raw output (1, 5, N). ``input_wh``: the model's input size
    (for a model with dynamic height and width, ``dynamic`` is True and ``input_wh`` is (side, side), the
    long side it runs at); ``backend``: "webgpu" or "wasm", the one that runs now."""

    def __init__(self, model: bytes, session: OrtSession, wasm_url: str, threads: int, side: int, kind: str):
        self.model_bytes, self.session = model, session
        self.wasm_url, self.threads, self.kind = wasm_url, threads, kind
        self.device_lost = False
        self.runs = 0                     # calls so far (the page's tests count them: model_runs)
        h, w = session.input_shape()[2:4]
        self.dynamic = not (isinstance(w, (int, float)) and isinstance(h, (int, float)))
        self.input_wh = (side, side) if self.dynamic else (int(w), int(h))

    @property
    def backend(self) -> str:
        return self.session.backend

    @classmethod
    async def create(cls, model: bytes, wasm_url: str, threads: int, webgpu: bool = True,
                     side: int = INPUT_SIDE, kind: str = "model") -> "OrtModel":
        """Compiles ``model`` on WebGPU when ``webgpu`` and an adapter is there, else (or if that fails) WASM."""
        session = None
        if webgpu and await webgpu_adapter():
            try:
                session = await OrtSession.create(model, "webgpu", wasm_url, threads)
            except Exception as exc:  # noqa: BLE001 - any failure: WASM instead
                print(f"{kind}: WebGPU session failed, using WASM: {exc}")
        if session is None:
            session = await OrtSession.create(model, "wasm", wasm_url, threads)
        self = cls(model, session, wasm_url, threads, side, kind)
        if session.backend == "webgpu":
            self._watch_device()
        return self

    def _watch_device(self) -> None:
        """A lost GPU device sends the next run to WASM (ort.env.webgpu.device: onnxruntime-web's device)."""
        try:
            device = ort_webgpu.env.webgpu.device
            if device and hasattr(device, "lost"):
                device.lost.then(create_proxy(self._on_device_lost))
        except Exception as exc:  # noqa: BLE001 - not watchable: a failed run still falls back
            print(f"{self.kind}: cannot watch the WebGPU device: {exc}")

    def _on_device_lost(self, info) -> None:
        self.device_lost = True
        print(f"{self.kind}: WebGPU device lost: {getattr(info, 'message', info)}")

    async def fall_back(self, reason: str) -> None:
        """Move to WASM for good (the page is told: its backend label changes)."""
        print(f"{self.kind}: WebGPU failed ({reason}); moving to WASM")
        old, self.session = self.session, await OrtSession.create(self.model_bytes, "wasm", self.wasm_url, self.threads)
        try:
            await old.session.release()
        except Exception:  # noqa: BLE001 - the old session may be gone with its device
            pass
        report("backend-fallback")

    async def __call__(self, tensor: np.ndarray) -> np.ndarray:
        self.runs += 1
        if self.backend == "webgpu":
            if not self.device_lost:
                try:
                    return await self.session.run(tensor)
                except Exception as exc:  # noqa: BLE001 - any WebGPU failure: this run again on WASM
                    await self.fall_back(f"{type(exc).__name__}: {exc}")
            else:
                await self.fall_back("device lost")
        return await self.session.run(tensor)
