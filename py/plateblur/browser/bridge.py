"""Everything that crosses the Python/JS boundary: bytes, progress reports, onnxruntime-web.

The only module of the package that imports ``js`` or ``pyodide``."""
from __future__ import annotations

import js
import numpy as np
from pyodide.ffi import to_js
from polyscript import js_modules, xworker  # what PyScript's own `pyscript` module wraps

ort = js_modules.ort      # onnxruntime-web, from [js_modules.worker] in pyscript.toml
video_io = js_modules.video_io   # web/video/io.js: demuxing, decoding, encoding, muxing
sync = xworker.sync       # functions the main thread set on `worker.sync`


def to_bytes(buffer) -> bytes:
    """An ArrayBuffer or typed array from JS as Python bytes."""
    return buffer.to_bytes()


def to_uint8array(data):
    """A JS Uint8Array copy of ``data`` (bytes, or a C-contiguous numpy array: no extra copy)."""
    array = js.Uint8Array.new(memoryview(data).nbytes)
    array.assign(data)
    return array


def to_js_list(items: list):
    """A JS array of the given JS objects."""
    array = js.Array.new()
    for item in items:
        array.push(item)
    return array


def to_object(value: dict):
    """A Python dict as a plain JS object (nested dicts and lists too)."""
    return to_js(value, dict_converter=js.Object.fromEntries)


def report(stage: str, done: float = 0, total: float = 0) -> None:
    """Progress to the page (a function the main thread set on ``worker.sync``)."""
    sync.progress(stage, done, total)


def send_video_info(item_id: str, info: dict) -> None:
    sync.video_info(item_id, to_object(info))


def send_video_progress(item_id: str, frames_done: int, packets, decoder_config) -> None:
    """Frames done, and the encoded output packets since the last call (a JS array) for the
    page's player, with the decoder configuration once known."""
    sync.video_progress(item_id, frames_done, packets, decoder_config)


async def fetch_bytes(url: str, stage: str) -> bytes:
    """Download ``url``, reporting progress as ``stage``."""
    response = await js.fetch(url)
    if not response.ok:
        raise RuntimeError(f"cannot load {url}: HTTP {response.status}")
    total = int(response.headers.get("content-length") or 0)
    reader = response.body.getReader()
    chunks, done = [], 0
    while True:
        part = await reader.read()
        if part.done:
            break
        chunk = part.value.to_bytes()
        chunks.append(chunk)
        done += len(chunk)
        report(stage, done, total)
    return b"".join(chunks)


class OrtModel:
    """The detector in onnxruntime-web. Awaitable call: (1, 3, H, W) float32 -> (1, 5, N)."""

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
