"""What the page asks of the worker: load the model, anonymise a photo, re-render, zip.

Every call returns a plain dict; failures come back as ``{"ok": False, "error": message}`` so
that one bad file never stops the batch or the page."""
from __future__ import annotations

import io
import time
import zipfile
from collections import OrderedDict

import numpy as np

from .. import pipeline
from ..detections import Detections
from ..imageio import ImageError, Photo, decode_photo, encode_photo
from ..settings import MODEL_FILE, STREAM_MODEL_FILE, Settings
from . import bridge

CACHE_PIXELS = 120_000_000   # decoded photos kept for re-rendering; older ones are decoded again


class Session:
    def __init__(self) -> None:
        self.model: bridge.OrtModel | None = None          # photos
        self.stream_model: bridge.OrtModel | None = None   # video and camera, loaded when first needed
        self.base_url = ""
        self.threads = 1
        self.detections: dict[str, Detections] = {}
        self.photos: OrderedDict[str, Photo] = OrderedDict()
        self.camera = None               # CameraSession while the camera runs

    def remember(self, item_id: str, photo: Photo) -> None:
        self.photos[item_id] = photo
        self.photos.move_to_end(item_id)
        while sum(p.rgb.shape[0] * p.rgb.shape[1] for p in self.photos.values()) > CACHE_PIXELS \
                and len(self.photos) > 1:
            self.photos.popitem(last=False)

    def photo(self, item_id: str, buffer) -> tuple[Photo, float]:
        started = time.perf_counter()
        photo = self.photos.get(item_id) or decode_photo(bridge.to_bytes(buffer))
        self.remember(item_id, photo)
        return photo, time.perf_counter() - started


SESSION = Session()


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _settings(values) -> Settings:
    return Settings().updated(**(values.to_py() if hasattr(values, "to_py") else dict(values or {})))


async def load(base_url: str, threads: int, model_file: str = MODEL_FILE) -> dict:
    """Fetch and compile the detector (``model_file`` relative to the site, for benchmarks)."""
    started = time.perf_counter()
    SESSION.base_url, SESSION.threads = base_url, threads
    SESSION.model = await _load_model(model_file, "model")
    await bridge.video_io.clearExports()
    if model_file != MODEL_FILE:
        SESSION.stream_model = SESSION.model       # a benchmark's model serves everything
    return bridge.to_object({"input_wh": list(SESSION.model.input_wh), "model": model_file, "threads": threads,
                             "load_ms": _ms(time.perf_counter() - started), "settings": vars(Settings())})


async def _load_model(model_file: str, stage: str) -> bridge.OrtModel:
    model_bytes = await bridge.fetch_bytes(SESSION.base_url + model_file, stage)
    bridge.report("compile")
    model = await bridge.OrtModel.create(model_bytes, SESSION.base_url + "vendor/ort/", SESSION.threads)
    w, h = model.input_wh
    await model(np.zeros((1, 3, h, w), np.float32))   # the first run allocates; keep it out of timings
    return model


async def stream_model() -> bridge.OrtModel:
    if SESSION.stream_model is None:
        SESSION.stream_model = await _load_model(STREAM_MODEL_FILE, "stream-model")
    return SESSION.stream_model


def _result(item_id: str, photo: Photo, detections: Detections, settings: Settings, timings: dict) -> dict:
    started = time.perf_counter()
    rendered = pipeline.render(photo.rgb, detections, settings)
    timings["obscure"] = _ms(time.perf_counter() - started)
    started = time.perf_counter()
    encoded = encode_photo(photo, rendered.image)
    timings["encode"] = _ms(time.perf_counter() - started)
    h, w = photo.rgb.shape[:2]
    return {"ok": True, "id": item_id, "width": w, "height": h, "mime": photo.mime,
            "extension": photo.extension, "boxes": rendered.detections.to_rows(),
            "regions": rendered.regions.tolist(), "timings": timings, "data": encoded}


def _reply(result: dict):
    data = result.pop("data", None)
    reply = bridge.to_object(result)
    if isinstance(data, bytes):
        reply.data = bridge.to_uint8array(data)
    elif data is not None:
        reply.data = data            # already a JS buffer (video files are muxed in JS)
    return reply


def _failure(item_id: str, exc: Exception):
    if isinstance(exc, ImageError) or type(exc).__name__ == "VideoDamaged":
        message = str(exc)
    elif type(exc).__name__ == "JsException" and "VideoError" in str(exc):
        message = str(exc).split("VideoError:", 1)[-1].strip()
    elif isinstance(exc, MemoryError):
        message = "not enough memory for this photo"
    else:
        message = f"internal error ({type(exc).__name__}: {exc})"
    SESSION.photos.pop(item_id, None)
    return _reply({"ok": False, "id": item_id, "error": message})


async def process(item_id: str, buffer, values) -> dict:
    """Anonymise one photo (bytes of a JPEG, PNG or WebP file)."""
    try:
        if SESSION.model is None:
            raise RuntimeError("the model is not loaded yet")
        settings = _settings(values)
        SESSION.photos.pop(item_id, None)
        photo, decode_s = SESSION.photo(item_id, buffer)
        timings = {"decode": _ms(decode_s)}
        started = time.perf_counter()
        jobs = pipeline.prepare(photo.rgb, SESSION.model.input_wh, settings.max_downscale)
        timings["preprocess"] = _ms(time.perf_counter() - started)
        outputs, run_s = [], 0.0
        for i, job in enumerate(jobs):
            bridge.report("detect", i, len(jobs))
            started = time.perf_counter()
            outputs.append(await SESSION.model(job.tensor))
            run_s += time.perf_counter() - started
        timings["run"] = _ms(run_s)
        timings["runs"] = len(jobs)
        started = time.perf_counter()
        detections = pipeline.finish(outputs, jobs, settings.iou)
        timings["postprocess"] = _ms(time.perf_counter() - started)
        SESSION.detections[item_id] = detections
        return _reply(_result(item_id, photo, detections, settings, timings))
    except Exception as exc:  # the boundary: report, never take the worker down
        return _failure(item_id, exc)


async def process_video(item_id: str, file, values) -> dict:
    """Anonymise every frame of a video file (a JS File); packets stream to the page's player."""
    from . import video
    try:
        if SESSION.model is None:
            raise RuntimeError("the model is not loaded yet")
        return _reply(await video.process_video(await stream_model(), item_id, file, _settings(values)))
    except video.Cancelled:
        return _reply({"ok": False, "id": item_id, "cancelled": True, "error": "cancelled"})
    except Exception as exc:
        return _failure(item_id, exc)


def cancel_video(item_id: str) -> None:
    from .video import cancel
    cancel(item_id)


async def camera_frame(rgba, width: int, height: int, frames_since_last: int, values) -> dict:
    """One live camera frame (RGBA bytes); returns the regions to show obscured, with their pixels."""
    from .camera import CameraSession
    try:
        if SESSION.camera is None:
            SESSION.camera = CameraSession()
        result = await SESSION.camera.process(await stream_model(), bridge.to_bytes(rgba), width, height,
                                              frames_since_last, _settings(values))
        patches = result.pop("patches")
        reply = bridge.to_object(result)
        reply.patches = bridge.to_js_list(patches)
        return reply
    except Exception as exc:     # the page shows nothing of this frame
        return bridge.to_object({"ok": False, "error": f"{type(exc).__name__}: {exc}"})


def camera_reset() -> None:
    if SESSION.camera is not None:
        SESSION.camera.reset()


async def rerender(item_id: str, buffer, values) -> dict:
    """Obscure again with new settings, reusing the detections (no model run)."""
    try:
        detections = SESSION.detections[item_id]
        settings = _settings(values)
        photo, decode_s = SESSION.photo(item_id, buffer)
        return _reply(_result(item_id, photo, detections, settings, {"decode": _ms(decode_s)}))
    except Exception as exc:
        return _failure(item_id, exc)


async def time_model(runs: int, stream: bool = False) -> list:
    """Milliseconds of ``runs`` bare model runs on a blank input (the benchmarks' reference);
    ``stream``: the video and camera model."""
    model = await stream_model() if stream else SESSION.model
    w, h = model.input_wh
    tensor = np.full((1, 3, h, w), 114 / 255, np.float32)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await model(tensor)
        times.append(_ms(time.perf_counter() - started))
    return bridge.to_object(times)


def forget(item_id: str) -> None:
    SESSION.detections.pop(item_id, None)
    SESSION.photos.pop(item_id, None)


def zip_files(names, arrays):
    """A zip (stored, photos are compressed already) of the given files."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, array in zip(names.to_py(), arrays):
            archive.writestr(name, bridge.to_bytes(array))
    return bridge.to_uint8array(out.getvalue())
