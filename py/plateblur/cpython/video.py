"""Videos on the command line, through PyAV (the optional extra ``plateblur[video]``).

The frames take the page's path: ``frames.FrameProcessor`` (detect -> track -> obscure) on each
decoded frame, the obscured patches pasted into it, a frame whose processing failed written black.
Each frame keeps its own timestamp (variable frame rates too); every audio stream is copied packet
for packet; of the metadata only each stream's language and title are carried over, and no subtitle
or other stream. The video is encoded as H.264 (VP9 for WebM, which cannot hold H.264) in 4:2:0
(yuv420p, which every player plays) into the input's container (Matroska for containers other than
MP4, MOV, MKV and WebM), written to a temporary file and renamed when complete. H.264 in 4:2:0 needs
an even width and height: an odd one grows by a pixel, the last column or row repeated. A video named
by URI is downloaded to a local temporary file first, its result uploaded when complete (cpython.remote)."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..frames import FrameProcessor, run_sync
from ..pipeline import unpack_patches
from ..settings import Settings
from ..usererror import UserError
from . import remote
from .batch import Stopped
from .inputs import VIDEO_CONTAINERS as CONTAINERS
from .inputs import planned_extension
from .outputs import atomic_target, reason, with_extension
from .remote import Uri

NO_PYAV = "videos need PyAV, which is not installed (pip install 'plateblur[video]')"
DEFAULT_CRF = {"libx264": 20, "libvpx-vp9": 32}
ENCODER_OPTIONS = {"libx264": {"preset": "fast"},
                   "libvpx-vp9": {"b": "0", "deadline": "good", "cpu-used": "4", "row-mt": "1"}}
MAX_CRF = 51
KEPT_STREAM_TAGS = ("language", "title")     # every other tag, and the container's, is left out
CONTAINER_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")   # how MP4 and MOV files begin
EBML_MAGIC = b"\x1a\x45\xdf\xa3"                                           # Matroska and WebM
INCOMPLETE_S, INCOMPLETE_SHARE = 1.0, 0.05   # frames missing at the end beyond this: a damaged file


class VideoError(UserError, ValueError):
    """The video cannot be anonymised; the message says why, for the user."""


def load_av():
    try:
        import av
    except ImportError:
        raise VideoError(NO_PYAV) from None
    return av


def output_extension(source: Path | Uri) -> str:
    return planned_extension(source)


def encoder_for(extension: str) -> str:
    return "libvpx-vp9" if extension == ".webm" else "libx264"


class AsyncModel:
    """A synchronous model (OnnxModel, batch.SerialModel) as the awaitable that FrameProcessor takes."""

    def __init__(self, model):
        self.model = model
        self.input_wh, self.dynamic = model.input_wh, model.dynamic

    async def __call__(self, tensor: np.ndarray) -> np.ndarray:
        return self.model(tensor)


@dataclass(frozen=True)
class VideoTask:
    source: Path | Uri
    base: Path | Uri | None                      # the result's path without extension; None: write nothing
    settings: Settings
    overwrite: bool = False
    crf: int | None = None                 # None: the encoder's default here (DEFAULT_CRF)
    stop: threading.Event | None = None    # set: stop after the current frame (Ctrl-C), write nothing


def estimate_frames(path: Path | Uri) -> int:
    """The video's frame count from its header (0 when unknown or unreadable; a URI's is not
    downloaded for it), for progress."""
    if isinstance(path, Uri):
        return 0
    try:
        av = load_av()
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            if stream.frames:
                return stream.frames
            seconds = container.duration / 1_000_000 if container.duration else 0
            return round(seconds * float(stream.average_rate or 0))
    except Exception:
        return 0


def anonymise_video(task: VideoTask, model, on_frame: Callable[[dict], None] = lambda record: None) -> dict:
    """One video: its summary record (and where the result went); ``on_frame`` gets each frame's
    record (index, timestamp, regions) as it is done. Raises VideoError (or any error) on failure;
    nothing is left under the result's name then."""
    av = load_av()
    if not isinstance(task.source, Uri):
        return _anonymise(av, str(task.source), task, model, on_frame)
    try:
        with remote.local_copy(task.source) as local:   # PyAV seeks in its input: a local copy
            return _anonymise(av, local, task, model, on_frame)
    except OSError as exc:     # the download (the work itself raises VideoError)
        raise VideoError(f"cannot read the file ({reason(exc)})") from None


def _anonymise(av, local: str, task: VideoTask, model, on_frame) -> dict:
    try:
        source = av.open(local)
    except OSError as exc:    # PyAV's errors for a missing or unreadable file are OSErrors too
        raise VideoError(f"cannot read the file ({reason(exc)})") from None
    except av.FFmpegError as exc:
        if _is_container(local):     # a video file cut short (its index at the end lost) or damaged
            raise VideoError("the video is damaged or incomplete (the file may have been cut short)") from None
        raise VideoError(f"not a video, or one this PyAV cannot read ({exc.strerror or exc})") from None
    with source:
        if not source.streams.video:
            raise VideoError("the file is audio only: it has no video track" if source.streams.audio
                             else "the file has no video track")
        if task.base is None:
            return _run(av, source, task, model, None, on_frame)
        target = with_extension(task.base, output_extension(task.source))
        try:
            with atomic_target(target, task.overwrite) as (_, temp):
                with _Writer(av, temp, target.suffix.lower(), source, task.crf) as writer:
                    record = _run(av, source, task, model, writer, on_frame)
        except OSError as exc:
            raise VideoError(f"cannot write {target} ({reason(exc)})") from None
        record["output"] = str(target)
        return record


def _run(av, source, task: VideoTask, model, writer: "_Writer | None", on_frame) -> dict:
    stream = source.streams.video[0]
    stream.thread_type = "AUTO"
    processor = FrameProcessor({kind: AsyncModel(m) for kind, m in model.items()} if isinstance(model, dict)
                               else AsyncModel(model), task.settings)
    state = {"index": 0, "size": None, "last": None}

    async def one(frame) -> None:
        if task.stop is not None and task.stop.is_set():
            raise Stopped(f"stopped by the interrupt after {state['index']} frames; nothing written")
        rgb = _apply_display_rotation(frame.to_ndarray(format="rgb24"), frame)
        result = await processor.process(rgb)
        if result.failed:
            rgb = np.zeros_like(rgb)             # fail closed: never the raw frame
        else:
            rgb = rgb.copy() if len(result.regions) else rgb
            for (x1, y1, x2, y2), patch in zip(result.regions.tolist(), unpack_patches(result.regions, result.patches)):
                rgb[y1:y2, x1:x2] = patch[:, :, :3]
        pts = _pts(frame, state["last"], stream)
        state["last"] = pts
        if writer is not None:
            writer.frame(rgb, pts)
        state["size"] = rgb.shape[1::-1]
        record = {"path": str(task.source), "frame": state["index"],
                  "timestamp": round(float(pts * stream.time_base), 6), "regions": result.regions.tolist(),
                  "kinds": list(result.kinds)}
        if result.failed:
            record["failed"] = result.failed
        on_frame(record)
        state["index"] += 1

    async def all_frames() -> None:
        wanted = [stream] + (list(source.streams.audio) if writer is not None else [])
        try:
            for packet in source.demux(wanted):
                if packet.stream.type == "audio":
                    writer.audio(packet)
                    continue
                for frame in packet.decode():
                    await one(frame)
        except av.FFmpegError as exc:
            raise VideoError(f"the video is damaged or incomplete (after frame {state['index']}: "
                             f"{exc.strerror or exc})") from None

    run_sync(all_frames())             # the model is synchronous here: no event loop needed (or wanted)
    if not state["index"]:
        raise VideoError("the video has no frames")
    _check_complete(source, stream, state["last"], state["index"])
    width, height = state["size"]
    return {"path": str(task.source), "width": width, "height": height, "frames": state["index"],
            "duration": round(float(state["last"] * stream.time_base), 6),
            "plates": processor.most_of_kind.get("plate", 0), "faces": processor.most_of_kind.get("face", 0),
            "black_frames": processor.failed}


def _is_container(path: str) -> bool:
    """Whether the file begins as an MP4, MOV, Matroska or WebM file does."""
    try:
        with open(path, "rb") as file:
            head = file.read(8)
    except OSError:
        return False
    return head[4:8] in CONTAINER_BOXES or head[:4] == EBML_MAGIC


def _check_complete(source, stream, last_pts: int, frames: int) -> None:
    """VideoError where the frames end well before the duration the container declares (a cut
    file whose index is whole: decoders often stop there without an error)."""
    if stream.duration:
        declared = float(stream.duration * stream.time_base)
    elif source.duration:
        declared = source.duration / 1_000_000
    else:
        return
    decoded = float(last_pts * stream.time_base)
    if decoded < declared - max(INCOMPLETE_S, declared * INCOMPLETE_SHARE):
        raise VideoError(f"the video is damaged or incomplete (its frames end at {decoded:.1f} s of "
                         f"{declared:.1f} s, after {frames} frames)")


def _pts(frame, last: int | None, stream) -> int:
    """The frame's timestamp in its stream's time base; one a container left out, or one that does
    not increase, follows the previous frame by a frame's duration (at least one tick)."""
    pts = frame.pts
    if pts is None or (last is not None and pts <= last):
        step = 1
        if stream.average_rate:
            step = max(1, round(1 / (float(stream.average_rate) * stream.time_base)))
        pts = 0 if last is None else last + step
    return pts


def _apply_display_rotation(rgb: np.ndarray, frame) -> np.ndarray:
    """The frame turned as its display matrix says (phones record sideways), so the result needs no
    rotation metadata."""
    turns = round(getattr(frame, "rotation", 0) / 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb


class _Writer:
    """The output file: one encoded video stream and the input's audio streams, copied."""

    def __init__(self, av, path: str, extension: str, source, crf: int | None):
        self.av = av
        self.container = av.open(path, "w", format=CONTAINERS.get(extension, "matroska"),
                                 options={"movflags": "+faststart"} if extension in (".mp4", ".m4v", ".mov") else {})
        self.container.metadata.clear()
        self.codec = encoder_for(extension)
        self.crf = DEFAULT_CRF[self.codec] if crf is None else crf
        self.source_video = source.streams.video[0]
        self.time_base = self.source_video.time_base
        self.source_audio = list(source.streams.audio)
        self.audio_streams = {}
        self.video = None
        self.pending = []      # audio packets demuxed before the first frame: the streams are added then

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        try:
            if kind is None:
                if self.video is None:
                    raise VideoError("the video has no frames")
                for packet in self.video.encode(None):
                    self.container.mux(packet)
        finally:
            self.container.close()

    def _open_video(self, width: int, height: int) -> None:
        video = self.container.add_stream(self.codec, rate=None)
        self.padding = (height % 2, width % 2) if self.codec == "libx264" else (0, 0)   # VP9 takes odd sizes
        video.width, video.height = width + self.padding[1], height + self.padding[0]
        video.pix_fmt = "yuv420p"
        video.time_base = self.time_base
        video.codec_context.time_base = self.time_base
        video.options = {**ENCODER_OPTIONS[self.codec], "crf": str(self.crf)}
        _keep_tags(self.source_video, video)
        self.video = video
        for stream in self.source_audio:      # after the video, so that the video is the first stream
            copy = self.container.add_stream_from_template(stream)
            _keep_tags(stream, copy)
            self.audio_streams[stream.index] = copy
        for packet in self.pending:
            self._mux_audio(packet)
        self.pending = []

    def audio(self, packet) -> None:
        if packet.dts is None or not packet.size:
            return                         # the demuxer's end-of-stream marker
        if self.video is None:
            self.pending.append(packet)
        else:
            self._mux_audio(packet)

    def _mux_audio(self, packet) -> None:
        packet.stream = self.audio_streams[packet.stream.index]
        self.container.mux(packet)

    def frame(self, rgb: np.ndarray, pts: int) -> None:
        if self.video is None:
            self._open_video(rgb.shape[1], rgb.shape[0])
        if any(self.padding):
            rgb = np.pad(rgb, ((0, self.padding[0]), (0, self.padding[1]), (0, 0)), mode="edge")
        frame = self.av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = pts
        frame.time_base = self.time_base
        for packet in self.video.encode(frame):
            self.container.mux(packet)


def _keep_tags(source, copy) -> None:
    """``copy`` gets the language and title of ``source`` (a stream), and no other tag."""
    kept = {key: value for key, value in source.metadata.items() if key.lower() in KEPT_STREAM_TAGS}
    copy.metadata.clear()
    copy.metadata.update(kept)
