"""The worker's exports (protocol.json): marshalling between JS and Python, and the error boundary.

Every call returns a plain JS object; a failure comes back as ``{ok: false, error_name, error, detail, params}``
(errors.py), so one bad file never stops the batch or the worker."""
from __future__ import annotations

import io
import time
import zipfile

import numpy as np

from ..frames import FrameProcessor
from ..detections import KINDS
from ..settings import CAMERA, MODEL_FILE, STREAM_MODEL_FILE, Settings, controls
from ..video_edits import COLUMNS, Replay, ReplayProcessor, TrackRecord, VideoEdits
from . import bridge, streams
from .errors import FaceModelError, NotReady, describe
from .models import Models
from .photos import Photos

MODELS: Models | None = None
PHOTOS = Photos()


def _models() -> Models:
    if MODELS is None:
        raise NotReady()
    return MODELS


def _settings(values) -> Settings:
    return Settings().updated(**(values.to_py() if hasattr(values, "to_py") else dict(values or {})))


def _reply(result: dict):
    data = result.pop("data", None)
    reply = bridge.to_object(result)
    if isinstance(data, bytes):
        reply.data = bridge.to_uint8array(data)
    elif data is not None:
        reply.data = data            # already a JS object (a video export's File)
    return reply


def _failure(item_id: str | None, exc: BaseException):
    failure = describe(exc)
    if failure["error_name"] == "InternalError":
        print(f"{item_id}: {type(exc).__name__}: {exc}")      # the worker's console, for bug reports
    return _reply({"ok": False, "id": item_id, **failure, "cancelled": failure["error_name"] == "Cancelled"})


async def load(site_url: str, threads: int, model_file: str = MODEL_FILE):
    """Fetch and compile the photo detector (``model_file`` relative to the site swaps every model, for
    benchmarks) and clear export files an earlier visit left behind."""
    try:
        return await _load(site_url, threads, model_file)
    except Exception as exc:
        return _failure(None, exc)


async def _load(site_url: str, threads: int, model_file: str):
    global MODELS
    started = time.perf_counter()
    stream_file = STREAM_MODEL_FILE if model_file == MODEL_FILE else model_file
    models = Models(site_url, threads, model_file, stream_file)
    model = await models.photo()
    faces = await _face_model(models)
    MODELS = models
    await bridge.frames_js.clearExports()
    return bridge.to_object({"ok": True, "input_wh": list(model.input_wh), "dynamic": model.dynamic, "backend": model.backend,
                             "model": model_file, "threads": threads,
                             "load_ms": round((time.perf_counter() - started) * 1000, 1),
                             "controls": controls(), "faces": faces})


async def _face_model(models: Models) -> dict:
    """The face model, loaded with the photo model: faces are hidden by default, the camera's first frame
    too. A failure does not stop the page (plates can still be hidden); it is told, and every file or
    camera that is to hide faces fails with it."""
    try:
        await models.face()
        return {"ok": True}
    except FaceModelError as exc:
        print(f"face model: {exc}")
        return {"ok": False, **describe(exc)}


def _detectors(settings: Settings, stream: bool = False):
    """kind -> model for what the settings hide (a FaceModelError if faces are to be hidden without one)."""
    return _models().detectors(settings.kinds, stream)


def _on_pass(i: int, n: int) -> None:
    bridge.report("detect-pass", i, n)


async def process_photo(item_id: str, buffer, values):
    try:
        settings = _settings(values)
        models = await _detectors(settings)
        return _reply(await PHOTOS.process(item_id, bridge.to_bytes(buffer), settings, models, _on_pass))
    except Exception as exc:  # the boundary: report, never take the worker down
        PHOTOS.forget(item_id)
        return _failure(item_id, exc)


async def _search_more(item_id: str, data: bytes, settings: Settings) -> None:
    """A kind the settings hide that the photo was not searched for (Faces ticked after it was done)
    is searched for now: no re-render shows a photo as hiding a kind nobody looked for."""
    missing = PHOTOS.unsearched(item_id, settings)
    if missing:
        models = await _models().detectors(missing)
        await PHOTOS.search_more(item_id, data, settings, models, _on_pass)


async def rerender(item_id: str, buffer, values):
    try:
        data, settings = bridge.to_bytes(buffer), _settings(values)
        await _search_more(item_id, data, settings)
        return _reply(PHOTOS.rerender(item_id, data, settings))
    except Exception as exc:
        return _failure(item_id, exc)


async def edit(item_id: str, buffer, values, edits):
    """The photo with the person's edits (``{removed: [index], added: [[x1, y1, x2, y2]]}``, the
    whole set each time) from its stored detections: no model run, unless the settings hide a kind
    not searched for yet (``_search_more``: the stored detections keep their indices)."""
    try:
        plain = edits.to_py() if hasattr(edits, "to_py") else edits
        data, settings = bridge.to_bytes(buffer), _settings(values)
        await _search_more(item_id, data, settings)
        return _reply(PHOTOS.edit(item_id, data, settings, plain))
    except Exception as exc:
        return _failure(item_id, exc)


def forget(item_id: str) -> None:
    PHOTOS.forget(item_id)


async def process_video(item_id: str, file, values):
    """Every frame of a video file (a JS File); progress and packets go to the page over the port.
    The result's ``tracks`` (Int32Array, rows of frame, track, x1, y1, x2, y2), ``track_kinds`` (track ->
    plate, face) and ``failed_list`` record what was obscured where, for ``reexport_video``."""
    try:
        settings = _settings(values)
        processor = FrameProcessor(await _detectors(settings, stream=True), settings, record=TrackRecord())
        return await _video(item_id, file, processor)
    except Exception as exc:
        return _failure(item_id, exc)


async def reexport_video(item_id: str, file, values, recorded, edits):
    """The video (the original File again) with the person's edits (``{removed: [track id], added:
    [{frame, box, mode, until}]}``, the whole set) to ``recorded`` (``{tracks, track_kinds, failed_list,
    frames}`` of its process_video result): every frame re-encoded, no detector run."""
    try:
        rows = np.frombuffer(bridge.to_bytes(recorded.tracks), np.int32).reshape(-1, COLUMNS)
        frame_count = int(recorded.frames)
        plain = edits.to_py() if hasattr(edits, "to_py") else edits
        kinds = {int(track): kind for track, kind in _plain(getattr(recorded, "track_kinds", None)).items()}
        replay = Replay(rows, recorded.failed_list.to_py(), VideoEdits.from_plain(plain, frame_count), kinds)
        return await _video(item_id, file, ReplayProcessor(replay, _settings(values), record=TrackRecord()))
    except Exception as exc:
        return _failure(item_id, exc)


async def _video(item_id: str, file, processor):
    """The frame loop over a video file, and its result (with ``processor.record``)."""
    job = bridge.FrameJob(await bridge.frames_js.openVideo(item_id, file))
    started = time.perf_counter()
    try:
        frames = await streams.run(job, processor)
        export = await job.finish()
    except BaseException:
        await job.cancel()
        raise
    seconds = time.perf_counter() - started
    reply = _reply({"ok": True, "id": item_id, "kind": "video", "width": job.width, "height": job.height,
                    "frames": frames, "failed_frames": processor.failed, "max_regions": processor.most_regions,
                    "fps": round(frames / seconds, 2), "stage_ms": processor.clock.per_frame_ms(frames),
                    "mime": str(export.mime), "extension": str(export.extension),
                    "notes": list(export.notes.to_py()), "data": export.data,
                    "failed_list": processor.record.failed, "most_of_kind": processor.most_of_kind,
                    "track_kinds": {str(track): kind for track, kind in processor.record.kinds.items()}})
    reply.tracks = bridge.to_js(processor.record.rows.reshape(-1))
    return reply


async def run_camera(values):
    """The live camera, until the page stops it: frames come and go over the port. The camera's own
    settings (settings.CAMERA) hold whatever the page sends."""
    try:
        settings = _settings(values).updated(**CAMERA)
        processor = FrameProcessor(await _camera_detectors(settings), settings)
        job = bridge.FrameJob(await bridge.frames_js.openCamera(), live=True)
        try:
            frames = await streams.run(job, processor, kept=CAMERA)
        except BaseException:
            await job.cancel()          # the frame held is never shown
            raise
        return _reply({"ok": True, "frames": frames, "failed_frames": processor.failed,
                       "stage_ms": processor.clock.per_frame_ms(frames)})
    except Exception as exc:
        return _failure(None, exc)


async def _camera_detectors(settings: Settings) -> dict:
    """Both kinds' models (the person may tick either while the camera runs), or without the face model
    if it cannot load and the settings do not hide faces (ticking Faces then stops the camera:
    streams.run)."""
    try:
        return await _models().detectors(KINDS, stream=True)
    except FaceModelError:
        if "face" in settings.kinds:
            raise
        return await _models().detectors(("plate",), stream=True)


def _plain(value) -> dict:
    """A JS object (or None, undefined) as a dict."""
    value = value.to_py() if hasattr(value, "to_py") else value
    return dict(value) if isinstance(value, dict) else {}


def zip_files(names, arrays):
    """A zip (stored: photos and videos are compressed already) of the given files."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, array in zip(names.to_py(), arrays):
            archive.writestr(name, bridge.to_bytes(array))
    return bridge.to_uint8array(out.getvalue())


async def time_model(runs: int, stream: bool = False, width: int = 0, height: int = 0):
    """Milliseconds of ``runs`` bare model runs on a blank input (the benchmarks' reference);
    ``stream``: the video and camera model; ``width``, ``height``: the input (a model with dynamic input)."""
    model = await (_models().stream() if stream else _models().photo())
    w, h = (width, height) if width and height else model.input_wh
    tensor = np.full((1, 3, h, w), 114 / 255, np.float32)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await model(tensor)
        times.append(round((time.perf_counter() - started) * 1000, 2))
    return bridge.to_object(times)


def model_runs() -> int:
    """Detector runs since load, all models together (tests: a video's re-export runs none)."""
    return sum(model.runs for model in _models().loaded())


def loaded_models() -> int:
    """How many detectors are loaded, the face model among them (tests: on WebGPU the photo model serves
    videos too)."""
    return len(_models().loaded())
