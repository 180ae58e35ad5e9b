"""What crosses the Python/JS boundary: conversions, progress, downloads, and the worker's frame jobs.

With ``ort_model`` the only modules of the package that import ``js`` or ``pyodide``."""
from __future__ import annotations

from dataclasses import dataclass

import js
import numpy as np
from polyscript import js_modules, xworker  # what PyScript's own `pyscript` module wraps
from pyodide.ffi import create_proxy, to_js

from ..frame_pixels import FramePixels, pack_rgba
from ..frames import FrameResult
from ..imageio import rgb_from_rgba
from ..tiling import Window
from .errors import LoadError

ort = js_modules.ort             # onnxruntime-web (WASM), from [js_modules.worker] in pyscript.toml
ort_webgpu = js_modules.ort_webgpu   # its WebGPU build (own runtime files, loaded only when a session uses it)
frames_js = js_modules.frames    # web/worker/frames.js: frame sources and sinks of videos and the camera
sync = xworker.sync              # functions the main thread set on `worker.sync`
# The page's MessagePort arrives as a worker message that web/worker/port.js takes; without this
# PyScript would also log each such message to the console.
xworker.onmessage = create_proxy(lambda event: None)


def to_bytes(buffer) -> bytes:
    """An ArrayBuffer or typed array from JS as Python bytes."""
    return buffer.to_bytes()


def to_uint8(buffer) -> np.ndarray:
    """A JS Uint8Array (or Uint8ClampedArray) as a writable numpy uint8 array: one copy."""
    out = np.empty(int(buffer.length), np.uint8)
    buffer.assign_to(out)
    return out


def to_uint8array(data):
    """A JS Uint8Array copy of ``data`` (bytes, or a C-contiguous numpy array: no extra copy)."""
    array = js.Uint8Array.new(memoryview(data).nbytes)
    array.assign(data)
    return array


def to_object(value: dict):
    """A Python dict as a plain JS object (nested dicts and lists too)."""
    return to_js(value, dict_converter=js.Object.fromEntries)


def report(stage: str, done: float = 0, total: float = 0) -> None:
    """Progress to the page (the protocol's one callback on ``worker.sync``)."""
    sync.progress(stage, done, total)


async def fetch_bytes(url: str, stage: str) -> bytes:
    """Download ``url``, reporting progress as ``stage``."""
    response = await js.fetch(url)
    if not response.ok:
        raise LoadError("cannot load {url}: HTTP {status}", code="load.http", url=url, status=int(response.status))
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


@dataclass(frozen=True)
class Frame:
    pixels: "PageFrame"
    gap: int                  # source frames since the previous one (camera frames dropped between)
    settings: dict | None     # new settings from the page, if any (camera)


class PageFrame(FramePixels):
    """The frame a JS frame job holds on its canvas, read as needed: the detector's windows scaled by
    the canvas (a 1280x720 frame crosses as 640x360), the regions to obscure at full size. A window the
    size of the whole frame (e.g. 640x360 video) is kept, so its regions are cut from it without
    crossing again. Turned windows (the thorough mode) are made in Python from the whole frame."""

    def __init__(self, job, width: int, height: int):
        self.js, self.size = job, (width, height)
        self._rgba: np.ndarray | None = None     # the whole frame, once read (H x W x 4)

    def _whole(self) -> np.ndarray:
        if self._rgba is None:
            w, h = self.size
            self._rgba = to_uint8(self.js.pixels()).reshape(h, w, 4)
        return self._rgba

    async def rgb(self) -> np.ndarray:
        return rgb_from_rgba(self._whole(), *self.size)

    async def fitted(self, windows: list[Window]) -> list[np.ndarray]:
        if any(w.turns for w in windows):
            return await super().fitted(windows)
        if len(windows) == 1 and windows[0].box == (0, 0, *self.size) and windows[0].fitted_wh == self.size:
            return [self._whole()]                      # kept: the regions are cut from it
        spec = np.asarray([(*w.box, *w.fitted_wh) for w in windows], np.int32).reshape(-1)
        data = to_uint8(self.js.fitted(to_js(spec)))
        out, offset = [], 0
        for window in windows:
            w, h = window.fitted_wh
            out.append(data[offset:offset + w * h * 4].reshape(h, w, 4))
            offset += w * h * 4
        return out

    async def region_rgba(self, regions: np.ndarray) -> np.ndarray:
        if self._rgba is not None:
            return pack_rgba(self._rgba, regions)
        if not len(regions):
            return np.zeros(0, np.uint8)
        return to_uint8(self.js.regionPixels(to_js(np.asarray(regions, np.int32).reshape(-1))))


class FrameJob:
    """A JS frame job of web/worker/frames.js seen from Python: ``next()`` frame, ``commit()`` its result.

    Per frame, a file's job crosses four to six times (next, the detector's windows, the regions' pixels
    unless the whole frame was read, the regions, the patches, commit), whatever the number of plates;
    a live job reads its gap and settings too."""

    def __init__(self, job, live: bool = False):
        self.js = job
        self.live = live
        self.width, self.height = int(job.width), int(job.height)

    async def next(self) -> Frame | None:
        if await self.js.next() is None:
            return None
        pixels = PageFrame(self.js, self.width, self.height)
        if not self.live:
            return Frame(pixels, 1, None)
        settings = self.js.takeSettings()
        return Frame(pixels, int(self.js.gap), settings.to_py() if settings is not None else None)

    async def commit(self, result: FrameResult) -> None:
        """Paste the obscured patches into the frame the job holds and pass it on; a failed frame
        is hidden whole by the job."""
        if result.failed:
            await self.js.commit(None, None)
        else:
            await self.js.commit(to_js(result.regions.reshape(-1)), to_js(result.patches))

    async def finish(self):
        return await self.js.finish()

    async def cancel(self) -> None:
        await self.js.cancel()
