"""Test videos whose plate boxes are known for every frame, and the checks the video and camera
tests make on what the page exports.

The clips are made in set-up, never committed, by tools/testkit/make_media.py into build/test-media/
(see that module for what each clip is); ``ensure_media()`` makes whatever is missing or stale.

    from tools.testkit.media import ensure_media, truth, read_video, plate_obscured
    folder = ensure_media()
    clip = truth("pan.mp4")                   # fps, width, height, frames [[timestamp_us, boxes]], ...
    frames, stamps = read_video(folder / "pan.mp4")

Needs numpy, Pillow and PyAV (``av``); imports nothing from the app."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import make_media
from .make_media import DEFAULT_OUT as MEDIA_DIR

# plate_obscured: the output's detail inside the plate box may be at most this share of the
# original's. Photos use 10 %; re-encoding softens an untouched plate too, so the bound is looser.
# Measured on all 424 plate boxes of pan.mp4 (tests/unit/test_test_media.py prints it): re-encoded
# untouched, a plate keeps 0.63 (VP9 realtime 300 kb/s) to 0.78 (x264 crf 23) of its detail at the
# least; blurred (Gaussian, sigma = half the plate's height, or the app's blur at its default
# strength), it keeps 0.06 at the most (0.11 for the app's blur at VP9 300 kb/s).
OBSCURED_MAX_RATIO = 0.25


def ensure_media(long: bool = False, out: Path = MEDIA_DIR) -> Path:
    """The folder of test clips, made first where missing or older than the generator or the photo
    (a few seconds; ``long=True`` adds long.mp4, about 20 s and 300 MB). Raises RuntimeError with
    the reason where they cannot be made (no ffmpeg, say)."""
    try:
        make_media.build(Path(out), long=long, log=lambda *_: None)
    except make_media.MediaError as exc:
        raise RuntimeError(f"cannot make the test videos: {exc}") from exc
    return Path(out)


def media_path(name: str, out: Path = MEDIA_DIR) -> Path:
    return Path(out) / name


@lru_cache(maxsize=4)
def _truth_file(path: str, mtime_ns: int) -> dict:
    return json.loads(Path(path).read_text())


def all_truth(out: Path = MEDIA_DIR) -> dict:
    """truth.json as a whole: {"clips": {name: clip}, "bad_inputs": {name: what}, "skipped": {...}}."""
    path = Path(out) / "truth.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: call ensure_media() first")
    return _truth_file(str(path), path.stat().st_mtime_ns)


def truth(name: str, out: Path = MEDIA_DIR) -> dict:
    """Ground truth of one clip: fps, width, height, frame_count, duration_us, loops, and
    frames [[timestamp_us, [[x1, y1, x2, y2], ...]], ...] (frame i at round(i * 1e6 / fps) us),
    plate_ids (per frame, which of the photo's plates each box is), dropped (per frame, the plates
    left out because under half in view: [id, share in view, clipped box]; don't-care for a test),
    windows (the crop of the photo per frame) and stats."""
    clips = all_truth(out)["clips"]
    if name not in clips:
        raise KeyError(f"no ground truth for {name!r}; there is for {sorted(clips)}")
    return clips[name]


def variant(name: str, out: Path = MEDIA_DIR) -> dict:
    """A clip of pan.mp4's first frames with other timing or tracks (vfr.mp4, two-audio.mp4, pan.mkv):
    frames_of (whose frames and plate boxes it has), frame_count, audio (codec per track),
    timestamps_us (vfr.mp4: every frame's) and note; see make_media.VARIANTS."""
    variants = all_truth(out).get("variants", {})
    if name not in variants:
        raise KeyError(f"no variant {name!r}; there are {sorted(variants)}")
    return variants[name]


def frame_at(name: str, timestamp_us: float, out: Path = MEDIA_DIR) -> int | None:
    """Index of the clip's frame shown at ``timestamp_us`` (the nearest frame, if it is within half
    a frame); a looping clip (camera.y4m) wraps around. None past the end."""
    clip = truth(name, out)
    index = math.floor(timestamp_us * clip["fps"] / 1e6 + 0.5)
    if clip["loops"]:
        return index % clip["frame_count"]
    return index if 0 <= index < clip["frame_count"] else None


def boxes_of(name: str, index: int, out: Path = MEDIA_DIR) -> tuple[list[list[float]], list[list[float]]]:
    """(boxes that must be obscured, boxes of plates partly in view that may be) for frame ``index``."""
    clip = truth(name, out)
    return clip["frames"][index][1], [d[2] for d in clip["dropped"][index]]


def frame_index(frame: np.ndarray, clip_frames: list[np.ndarray] | None = None) -> int | None:
    """The frame number the generator drew at the frame's edges (pan.* and camera.y4m frames, at any
    size), or None where there is no readable marker. For a looping camera capture this is the clip's
    frame, whatever the time. Where the two markers disagree (a lossy recording kept part of an earlier
    frame's marker) and ``clip_frames`` are given, the one whose clip frame the picture matches."""
    found = {i for i in make_media.read_markers(frame) if i is not None}
    if len(found) > 1 and clip_frames is not None:
        inner = np.s_[:, frame.shape[1] // 16: -(frame.shape[1] // 16)]
        return min(found, key=lambda i: float(np.abs(frame[inner].astype(np.int16)
                                                     - clip_frames[i][inner].astype(np.int16)).mean()))
    return make_media.read_marker(frame)


# --- reading what the page wrote ------------------------------------------------------------------

def read_video(path: Path, max_frames: int | None = None) -> tuple[list[np.ndarray], list[int]]:
    """Decode the first video track: (frames as H x W x 3 uint8 RGB, their presentation timestamps
    in microseconds, rounded), in presentation order. Edit lists are applied (FFmpeg's demuxers)."""
    import av

    frames, stamps = [], []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.pts is None:
                raise ValueError(f"{path}: frame {len(frames)} has no timestamp")
            frames.append(frame.to_ndarray(format="rgb24"))
            stamps.append(round(frame.pts * frame.time_base * 1_000_000))
            if max_frames is not None and len(frames) >= max_frames:
                break
    return frames, stamps


def audio_packets(path: Path) -> list[bytes]:
    """The payloads of the first audio track's packets, in file order ([] when there is none): equal
    lists for input and output mean the audio was copied, not re-encoded."""
    tracks = audio_tracks(path)
    return tracks[0] if tracks else []


def audio_tracks(path: Path) -> list[list[bytes]]:
    """The payloads of every audio track's packets, per track in file order."""
    import av

    with av.open(str(path)) as container:
        order = {stream.index: k for k, stream in enumerate(container.streams.audio)}
        packets: list[list[bytes]] = [[] for _ in order]
        if order:
            for packet in container.demux(list(container.streams.audio)):
                if packet.size:
                    packets[order[packet.stream.index]].append(bytes(packet))
        return packets


# --- was a plate obscured? ------------------------------------------------------------------------

def luma(frame: np.ndarray) -> np.ndarray:
    """BT.601 luma, float32, of an RGB(A) frame (or the frame itself if it is one channel)."""
    if frame.ndim == 2:
        return frame.astype(np.float32)
    return frame[..., :3].astype(np.float32) @ np.float32([0.299, 0.587, 0.114])


def inner_pixels(box, shape_hw: tuple[int, int]) -> tuple[int, int, int, int]:
    """The whole pixels inside a fractional box (ceil / floor), clipped to the frame."""
    h, w = shape_hw
    x1, y1, x2, y2 = box
    return max(math.ceil(x1), 0), max(math.ceil(y1), 0), min(math.floor(x2), w), min(math.floor(y2), h)


def detail(frame: np.ndarray, box) -> float:
    """High-frequency detail of the frame's luma inside the box: the mean squared difference between
    vertically and horizontally neighbouring pixels (as helpers.detail_energy, on luma)."""
    x1, y1, x2, y2 = inner_pixels(box, frame.shape[:2])
    if x2 - x1 < 3 or y2 - y1 < 3:
        raise ValueError(f"box {box} holds fewer than 3 x 3 whole pixels of the frame")
    p = luma(frame)[y1:y2, x1:x2].astype(np.float64)
    return float(np.mean((p[1:] - p[:-1]) ** 2) + np.mean((p[:, 1:] - p[:, :-1]) ** 2))


def detail_ratio(original_frame: np.ndarray, output_frame: np.ndarray, box) -> float:
    """The output's detail in the box as a share of the original's."""
    if original_frame.shape[:2] != output_frame.shape[:2]:
        raise ValueError(f"frame sizes differ: {original_frame.shape[:2]} and {output_frame.shape[:2]}")
    before = detail(original_frame, box)
    if before <= 0:
        raise ValueError(f"the original has no detail in box {box} to remove")
    return detail(output_frame, box) / before


def plate_obscured(original_frame: np.ndarray, output_frame: np.ndarray, box,
                   max_ratio: float = OBSCURED_MAX_RATIO) -> bool:
    """Whether the plate in ``box`` (x1, y1, x2, y2, frame pixels) is obscured in the output frame:
    its detail there is at most ``max_ratio`` of the original frame's. Blur and fill remove it;
    re-encoding alone keeps most of it. Not for pixelation: the blocks' own edges are detail
    (the app's pixelate at its default strength keeps 0.1 to 1.8 of it on pan.mp4's plates)."""
    return detail_ratio(original_frame, output_frame, box) <= max_ratio
