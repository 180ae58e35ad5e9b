#!/usr/bin/env python3
"""Build the test videos whose plate boxes are known exactly for every frame.

    .venv/bin/python -m tools.testkit.make_media [--out build/test-media] [--long]

Every clip is a slow pan and zoom across ../shared/media/dashcam-02.png (1280x720, 3 labelled
plates): frame i is the crop window (x, y, w, h) of the photo at t = i / fps, resized (Lanczos) to
the clip's size, so each plate's box in frame i follows from its box in the photo by that one
affine map. A box is clipped to the frame and dropped when less than half of its area is in view
or its visible part is narrower than 6 px. The frames are made here (numpy/Pillow) and piped as raw
RGB into ffmpeg, with a 440 Hz stereo tone as the audio track.

Made by default (about 5 s on 2 cores; a group of files is remade only when one is missing or
older than this script, the photo or plates.json; files are written to a scratch folder, checked,
then moved into place, so a folder never holds half a build):
  pan.mp4        5 s, 30 fps, 640x360, H.264 High (libx264, yuv420p, crf 18, B-frames, so an edit
                 list shifts the first frame to 0; a key frame every 2 s) + AAC stereo tone; moov
                 first (+faststart)
  pan.webm       the same frames, VP9 (libvpx-vp9, realtime, cpu-used 8, 1.5 Mb/s) + Opus tone
                 (started 6.5 ms late so that Opus's pre-skip does not shift the video by 7 ms)
  pan.mov        pan.mp4's packets remuxed into a QuickTime container (moov last)
  camera.y4m     6 s, 15 fps, 640x360, yuv420p, for Chromium's --use-file-for-fake-video-capture;
                 the path is a closed loop, so the loop Chromium plays has no jump
  hevc.mp4       1 s HEVC (libx265, tagged hvc1) + AAC: pan.mp4's first 30 frames (skipped, with a
                 note, where ffmpeg has no libx265)
  truncated.mp4  the first third of pan.mp4's bytes (its moov is whole, its media data is not)
  empty.mp4      0 bytes
  notavideo.mp4  a text file
  zero-frames.mp4  a fragmented MP4 with an H.264 track (avcC and all) and no frame
  audio-only.mp4   an MP4 with an AAC track only
  vfr.mp4        variable frame rate: pan.mp4's first 30 frames at i/30 s + 12 ms * (i mod 3)
                 + 100 ms * (i div 10) (time base 1/90000; H.264 with B-frames) + AAC tone
  two-audio.mp4  pan.mp4's first 30 frames + two AAC tracks (440 Hz stereo 48 kHz; 660 Hz mono 44.1 kHz)
  pan.mkv        pan.mp4's first 30 frames, H.264 with B-frames + Opus tone, in Matroska (FFmpeg puts
                 the first frame at 7 ms, after Opus's pre-skip: a start off the frame grid)
  truth.json     per clip: fps, width, height, frames [[timestamp_us, [[x1, y1, x2, y2], ...]], ...]
                 and more (plate_ids, crop windows, stats); see clip_truth(); per variant (vfr.mp4,
                 two-audio.mp4, pan.mkv): the clip whose frames it has, how many, its audio tracks and
                 (vfr.mp4) every frame's timestamp; see VARIANTS
With --long, also:
  long.mp4       10 min, 1280x720, 30 fps, H.264 High (ultrafast, no B-frames) + AAC, about
                 300 MB in about 20 s, for the memory benchmark: a periodic 10 s pan (no marker)
                 encoded once and its packets looped 60 times

Frame i is shown at exactly i / fps s (constant frame rate); truth.json's timestamp_us is
round(i * 1e6 / fps), and, where PyAV is installed, every clip is checked after encoding: its
frames decode with timestamps within half a tick of the container's time base of i / fps.

The pan and camera frames carry a frame-index marker at the left and the right edge (read_marker): a column of
ten cells, "on", the index's 8 bits (MSB first, on = 1) and "off", so a test can tell which frame it
sees even where Chromium loops camera.y4m or a page drops frames. No plate comes near it. On and off
are a pale green and a pale magenta of the same brightness: a black-and-white column looks like a
plate turned sideways to a detector trained on quarter turns, which then hides the marker.

Deterministic: same script, photo and ffmpeg -> byte-identical files and truth.json."""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from PIL import Image

from . import MEDIA, REPO_ROOT

SOURCE = MEDIA / "dashcam-02.png"
PLATES_JSON = MEDIA / "plates.json"
DEFAULT_OUT = REPO_ROOT / "build" / "test-media"

MIN_VISIBLE_SHARE = 0.5     # a box with less of its area in view is dropped
MIN_VISIBLE_WIDTH = 6.0     # ... and so is one whose visible part is narrower (px)
TONE_HZ = 440
SAMPLE_RATE = 48000

# frame-index marker: a column of MARKER_CELLS cells at the left edge, each MARKER_W of the frame's
# width wide and MARKER_H of its height tall: start (white), MARKER_BITS bits (MSB first), stop (black)
MARKER_BITS = 8
MARKER_CELLS = MARKER_BITS + 2
MARKER_W = Fraction(1, 40)
MARKER_H = Fraction(1, 20)
MARKER_ON = (100, 135, 100)       # green - (red + blue) / 2 = +35
MARKER_OFF = (135, 110, 135)      # -25; the same luma (about 122) as MARKER_ON
MARKER_MIN_CHROMA = 10            # a cell with less is no marker cell (a black frame, a blurred marker)
MARKER_SIDES = ("left", "right")

DEFAULT_SET = ("pan.mp4", "pan.webm", "pan.mov", "camera.y4m", "hevc.mp4", "truncated.mp4",
               "empty.mp4", "notavideo.mp4", "zero-frames.mp4", "audio-only.mp4",
               "vfr.mp4", "two-audio.mp4", "pan.mkv")
BAD_INPUTS = {
    "truncated.mp4": "the first third of pan.mp4's bytes: a whole moov (faststart), media data cut",
    "empty.mp4": "0 bytes",
    "notavideo.mp4": "a text file named .mp4",
    "zero-frames.mp4": "fragmented MP4 (empty_moov) with an H.264 track and no frame",
    "audio-only.mp4": "MP4 with a 2 s AAC track and no video track",
}


# --- the camera paths -----------------------------------------------------------------------------

Path_ = Callable[[float], tuple[float, float, float]]      # t (s) -> crop centre x, y and width


def _ease(u: float) -> float:
    return u * u * (3 - 2 * u)


def keyframed(keys: list[tuple[float, float, float, float]]) -> Path_:
    """(t, cx, cy, w) key frames joined by smoothstep easing (zero speed at each key)."""
    def at(t: float) -> tuple[float, float, float]:
        for (t0, *a), (t1, *b) in zip(keys, keys[1:]):
            if t <= t1:
                u = _ease(min(max((t - t0) / (t1 - t0), 0.0), 1.0))
                return tuple(p + (q - p) * u for p, q in zip(a, b))
        return tuple(keys[-1][1:])
    return at


# Key frames (t, centre x, centre y, width; the height follows from the clip's 16:9) lie inside the
# photo, and the set of windows inside it is convex, so the eased paths between them never need
# clamping (which would jerk the motion).
# pan, frames 0..149: the whole photo, a zoom onto the three plates, a pan left that takes the
# right-hand plate (IF 82 EVA) out of view for under a second (its box clipped, then dropped), back,
# and out again.
PAN_PATH = keyframed([(0.0, 640, 360, 1280), (1.6, 850, 420, 860), (2.7, 760, 430, 740),
                      (3.8, 830, 415, 860), (5.0, 700, 380, 1100)])
# closed loops (the last key is the first) that keep all three plates wholly in view
CAMERA_PATH = keyframed([(0.0, 700, 400, 1100), (2.0, 850, 420, 860), (4.0, 790, 440, 900),
                         (6.0, 700, 400, 1100)])
LONG_PATH = keyframed([(0.0, 680, 380, 1180), (3.0, 850, 420, 860), (6.0, 760, 400, 1000),
                       (10.0, 680, 380, 1180)])


@dataclass(frozen=True)
class Clip:
    name: str
    fps: int
    size: tuple[int, int]           # output width, height
    frame_count: int
    path: Path_
    marker: bool = True
    loops: bool = False             # played in a loop (Chromium's fake camera)
    video: str = ""
    audio: str | None = None
    note: str = ""

    @property
    def duration_us(self) -> int:
        return timestamp_us(self.frame_count, self.fps)


PAN = Clip("pan.mp4", 30, (640, 360), 150, PAN_PATH, video="h264", audio="aac")
CLIPS = {
    "pan.mp4": PAN,
    "pan.webm": Clip("pan.webm", 30, (640, 360), 150, PAN_PATH, video="vp9", audio="opus"),
    "pan.mov": Clip("pan.mov", 30, (640, 360), 150, PAN_PATH, video="h264", audio="aac",
                    note="pan.mp4's packets in a QuickTime container"),
    "camera.y4m": Clip("camera.y4m", 15, (640, 360), 90, CAMERA_PATH, loops=True, video="rawvideo",
                       note="Chromium plays it in a loop: frame k of the capture is frame k % 90"),
    "hevc.mp4": Clip("hevc.mp4", 30, (640, 360), 30, PAN_PATH, video="hevc", audio="aac",
                     note="pan.mp4's first 30 frames in HEVC"),
    "long.mp4": Clip("long.mp4", 30, (1280, 720), 18000, LONG_PATH, marker=False, video="h264",
                     audio="aac", note="a 300-frame periodic pan, looped 60 times"),
}
LONG_PERIOD_FRAMES = 300


@dataclass(frozen=True)
class Variant:
    """A clip of pan.mp4's first frames with other timing or tracks: its frame i is pan.mp4's frame i
    (same pixels, same plate boxes), shown at ``timestamp_us(i)``."""
    name: str
    frame_count: int
    audio: tuple[str, ...]           # codec of each audio track, in order
    vfr: bool = False
    note: str = ""

    def timestamps_us(self) -> list[int] | None:
        """Every frame's timestamp where it is set here (vfr.mp4), rounded to its 1/90000 time base."""
        if not self.vfr:
            return None
        ticks = [round((Fraction(i, 30) + Fraction(12, 1000) * (i % 3) + Fraction(1, 10) * (i // 10)) * VFR_TIMESCALE)
                 for i in range(self.frame_count)]
        return [round(Fraction(t, VFR_TIMESCALE) * 1_000_000) for t in ticks]


VFR_TIMESCALE = 90000
VARIANTS = {
    "vfr.mp4": Variant("vfr.mp4", 30, ("aac",), vfr=True,
                       note="frame i at i/30 s + 12 ms * (i mod 3) + 100 ms * (i div 10): uneven gaps, "
                            "none of them at the average rate"),
    "two-audio.mp4": Variant("two-audio.mp4", 30, ("aac", "aac"), note="440 Hz stereo 48 kHz; 660 Hz mono 44.1 kHz"),
    "pan.mkv": Variant("pan.mkv", 30, ("opus",), note="Matroska; the first frame at 7 ms (after Opus's pre-skip)"),
}


def timestamp_us(index: int, fps: int) -> int:
    """round(index * 1e6 / fps), halves up, in integers."""
    return (2 * index * 1_000_000 + fps) // (2 * fps)


# --- geometry -------------------------------------------------------------------------------------

def crop_window(path: Path_, t: float, source_wh: tuple[int, int], out_wh: tuple[int, int]):
    """The crop window (x, y, w, h) at time t: the path's centre and width, the output's aspect
    ratio, moved (not shrunk) to lie inside the photo."""
    sw, sh = source_wh
    cx, cy, w = path(t)
    w = min(w, sw, sh * out_wh[0] / out_wh[1])
    h = w * out_wh[1] / out_wh[0]
    x = min(max(cx - w / 2, 0.0), sw - w)
    y = min(max(cy - h / 2, 0.0), sh - h)
    return x, y, w, h


def map_boxes(plates, window, out_wh):
    """The photo's plate boxes in the frame cut by ``window`` and resized to ``out_wh``.

    Returns (boxes, ids, dropped): the visible boxes clipped to the frame, the index in ``plates``
    of each, and (id, share of the area in view, clipped box) for each box dropped because less
    than MIN_VISIBLE_SHARE of it is in view or its visible part is narrower than MIN_VISIBLE_WIDTH
    (a clipped box of a plate wholly out of view has zero width or height)."""
    x, y, w, h = window
    ow, oh = out_wh
    sx, sy = ow / w, oh / h
    boxes, ids, dropped = [], [], []
    for i, (x1, y1, x2, y2) in enumerate(plates):
        fx1, fy1, fx2, fy2 = (x1 - x) * sx, (y1 - y) * sy, (x2 - x) * sx, (y2 - y) * sy
        cx1, cy1, cx2, cy2 = max(fx1, 0.0), max(fy1, 0.0), min(fx2, float(ow)), min(fy2, float(oh))
        vw, vh = max(cx2 - cx1, 0.0), max(cy2 - cy1, 0.0)
        share = vw * vh / ((fx2 - fx1) * (fy2 - fy1))
        if share < MIN_VISIBLE_SHARE or vw < MIN_VISIBLE_WIDTH:
            dropped.append((i, share, [cx1, cy1, max(cx2, cx1), max(cy2, cy1)]))
        else:
            boxes.append([cx1, cy1, cx2, cy2])
            ids.append(i)
    return boxes, ids, dropped


def marker_cells(out_wh: tuple[int, int], side: str = "left") -> list[tuple[int, int, int, int]]:
    """The cells (x1, y1, x2, y2) of the marker at the frame's ``side`` edge, top to bottom, in whole pixels."""
    ow, oh = out_wh
    width = math.floor(ow * MARKER_W)
    x1 = 0 if side == "left" else ow - width
    return [(x1, math.floor(oh * MARKER_H * k), x1 + width, math.floor(oh * MARKER_H * (k + 1)))
            for k in range(MARKER_CELLS)]


def marker_bits(index: int) -> list[bool]:
    if not 0 <= index < 2 ** MARKER_BITS:
        raise ValueError(f"frame index {index} does not fit the {MARKER_BITS}-bit marker")
    return [True] + [bool(index >> b & 1) for b in range(MARKER_BITS - 1, -1, -1)] + [False]


def draw_marker(frame: np.ndarray, index: int) -> None:
    """The same marker at the left and the right edge: an obscured region that grows over one (a tracked
    plate's margin after dropped camera frames) leaves the other readable."""
    for side in MARKER_SIDES:
        for (x1, y1, x2, y2), on in zip(marker_cells((frame.shape[1], frame.shape[0]), side), marker_bits(index)):
            frame[y1:y2, x1:x2] = MARKER_ON if on else MARKER_OFF


def read_marker(frame: np.ndarray) -> int | None:
    """The frame index drawn by draw_marker, from an RGB (H, W, 3) frame of any size (the cells are
    placed relative to the frame): the left marker's, else the right one's; None where neither is there."""
    return next((index for index in read_markers(frame) if index is not None), None)


def read_markers(frame: np.ndarray) -> list[int | None]:
    """Each side's marker (left, right), None where it is not readable. They can differ in a lossy
    recording: an encoder that judges blocks by brightness alone may keep a block of the marker from an
    earlier frame (the cells differ only in colour), so callers with the clip at hand check the picture."""
    rgb = frame[..., :3].astype(np.float32)
    chroma = rgb[..., 1] - (rgb[..., 0] + rgb[..., 2]) / 2
    return [_read_cells(chroma, marker_cells((frame.shape[1], frame.shape[0]), side)) for side in MARKER_SIDES]


def _read_cells(chroma: np.ndarray, cells) -> int | None:
    bits = []
    for x1, y1, x2, y2 in cells:
        mx, my = max((x2 - x1) // 4, 0), max((y2 - y1) // 4, 0)
        cell = chroma[y1 + my:y2 - my, x1 + mx:x2 - mx]
        if not cell.size:
            return None
        mean = float(cell.mean())
        if abs(mean) < MARKER_MIN_CHROMA:
            return None
        bits.append(mean > 0)
    if not bits[0] or bits[-1]:
        return None
    return sum(int(b) << (MARKER_BITS - 1 - k) for k, b in enumerate(bits[1:-1]))


# --- frames and truth -----------------------------------------------------------------------------

def load_source() -> tuple[Image.Image, list[list[float]]]:
    entries = json.loads(PLATES_JSON.read_text())
    plates = next(e["plates_xyxy"] for e in entries if e["file"] == SOURCE.name)
    with Image.open(SOURCE) as img:
        return img.convert("RGB"), plates


def render(source: Image.Image, window, out_wh: tuple[int, int]) -> np.ndarray:
    """The crop window of the photo resized to out_wh (Lanczos; the window's edges land on the
    frame's edges, so a photo point p lands at (p - window origin) * out / window size)."""
    x, y, w, h = window
    return np.asarray(source.resize(out_wh, Image.Resampling.LANCZOS, box=(x, y, x + w, y + h)))


def frame_windows(clip: Clip, source_wh: tuple[int, int]) -> list[tuple[float, float, float, float]]:
    period = LONG_PERIOD_FRAMES if clip.name == "long.mp4" else clip.frame_count
    return [crop_window(clip.path, (i % period) / clip.fps, source_wh, clip.size) for i in range(clip.frame_count)]


def frames(clip: Clip, source: Image.Image, count: int | None = None) -> Iterator[np.ndarray]:
    for i, window in enumerate(frame_windows(clip, source.size)[:count]):
        frame = render(source, window, clip.size)
        if clip.marker:
            frame = frame.copy()
            draw_marker(frame, i)
        yield frame


def _runs(indices: list[int]) -> str:
    """'3-7, 12' from [3, 4, 5, 6, 7, 12]."""
    out, start = [], None
    for k, i in enumerate(indices):
        if start is None:
            start = i
        if k + 1 == len(indices) or indices[k + 1] != i + 1:
            out.append(f"{start}-{i}" if i > start else f"{start}")
            start = None
    return ", ".join(out)


def clip_truth(clip: Clip, plates, source_wh: tuple[int, int]) -> dict:
    """Ground truth of a clip: fps, width, height, frames [[timestamp_us, boxes]], and plate_ids
    (per frame, the photo's plate index of each box, in the same order: for tracking checks),
    windows (per frame, the crop window (x, y, w, h) in photo pixels), dropped (per frame, the
    plates left out under the rules: [plate id, share of its area in view, clipped box]; a detector
    may well find these, so tests should neither require nor forbid them) and stats."""
    windows = frame_windows(clip, source_wh)
    frames_, ids_, dropped_ = [], [], []
    left, right = marker_cells(clip.size, "left")[-1], marker_cells(clip.size, "right")[-1]
    for i, window in enumerate(windows):
        boxes, ids, dropped = map_boxes(plates, window, clip.size)
        if clip.marker and any((b[0] < left[2] or b[2] > right[0]) and b[1] < left[3] for b in boxes):
            raise AssertionError(f"{clip.name} frame {i}: a plate overlaps a frame-index marker")
        frames_.append([timestamp_us(i, clip.fps), [[round(v, 3) for v in b] for b in boxes]])
        ids_.append(ids)
        dropped_.append([[d[0], round(d[1], 3), [round(v, 3) for v in d[2]]] for d in dropped])
    widths = [b[2] - b[0] for _, boxes in frames_ for b in boxes]
    heights = [b[3] - b[1] for _, boxes in frames_ for b in boxes]
    per_frame: dict[str, int] = {}
    for _, boxes in frames_:
        per_frame[str(len(boxes))] = per_frame.get(str(len(boxes)), 0) + 1
    clipped = sum(1 for (_, boxes), ids, window in zip(frames_, ids_, windows)
                  for b, i in zip(boxes, ids) if _is_clipped(plates[i], window, clip.size))
    return {
        "file": clip.name, "fps": clip.fps, "width": clip.size[0], "height": clip.size[1],
        "frame_count": clip.frame_count, "duration_us": clip.duration_us,
        "video": clip.video, "audio": clip.audio, "loops": clip.loops,
        "marker": clip.marker, "source": SOURCE.name, "note": clip.note,
        "rules": {"min_visible_share": MIN_VISIBLE_SHARE, "min_visible_width": MIN_VISIBLE_WIDTH},
        "stats": {
            "frames": clip.frame_count, "boxes": len(widths), "plates_per_frame": per_frame,
            "min_width": round(min(widths), 3), "max_width": round(max(widths), 3),
            "min_height": round(min(heights), 3), "clipped_boxes": clipped,
            "dropped_boxes": sum(len(d) for d in dropped_),
            "dropped_frames": {str(p): _runs([i for i, d in enumerate(dropped_) if any(x[0] == p for x in d)])
                               for p in range(len(plates)) if any(x[0] == p for d in dropped_ for x in d)},
        },
        "frames": frames_,
        "plate_ids": ids_,
        "windows": [[round(v, 4) for v in w] for w in windows],
        "dropped": dropped_,
    }


def _is_clipped(plate, window, out_wh) -> bool:
    x, y, w, h = window
    s = out_wh[0] / w
    x1, y1, x2, y2 = ((plate[0] - x) * s, (plate[1] - y) * s, (plate[2] - x) * s, (plate[3] - y) * s)
    return x1 < 0 or y1 < 0 or x2 > out_wh[0] or y2 > out_wh[1]


# --- ffmpeg ---------------------------------------------------------------------------------------

class MediaError(RuntimeError):
    pass


def find_ffmpeg() -> str:
    exe = os.environ.get("FFMPEG") or shutil.which("ffmpeg")
    if not exe:
        raise MediaError("ffmpeg not found on PATH (nor $FFMPEG): the test videos are encoded with it; "
                         "install it with `apt-get install ffmpeg` (tools/setup --test does)")
    return exe


def encoders(ffmpeg: str) -> set[str]:
    out = subprocess.run([ffmpeg, "-hide_banner", "-encoders"], capture_output=True, text=True, check=True).stdout
    return {line.split()[1] for line in out.splitlines() if line.startswith(" ") and len(line.split()) > 1}


def run_ffmpeg(ffmpeg: str, args: list[str], frames_in: Iterator[np.ndarray] | None = None, what: str = "") -> None:
    """ffmpeg with ``args``; the frames, if any, go to its stdin as raw RGB."""
    cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", *args]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if frames_in is not None else subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        if frames_in is not None:
            try:
                for frame in frames_in:
                    proc.stdin.write(np.ascontiguousarray(frame).tobytes())
            except BrokenPipeError:
                pass
            finally:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.close()
        rc = proc.wait()
        if rc:
            err.seek(0)
            raise MediaError(f"ffmpeg failed ({what}, exit {rc}): {' '.join(cmd)}\n"
                             f"{err.read().decode(errors='replace')[-3000:]}")


def raw_input(clip: Clip) -> list[str]:
    w, h = clip.size
    return ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(clip.fps), "-i", "-"]


def tone(seconds: float, delay_s: float = 0.0, hz: int = TONE_HZ, rate: int = SAMPLE_RATE) -> list[str]:
    """A tone (440 Hz, 48 kHz by default) as an input, mono (``-ac 2`` on the output makes it stereo)."""
    offset = ["-itsoffset", str(delay_s)] if delay_s else []
    return [*offset, "-f", "lavfi", "-i", f"sine=frequency={hz}:sample_rate={rate}:duration={seconds}"]


# Opus starts with a 312-sample pre-skip (6.5 ms at 48 kHz) that the encoder timestamps as negative;
# the WebM muxer would then delay every video frame by 7 ms to keep timestamps non-negative. Starting
# the tone 6.5 ms late puts the first Opus packet at 0 and leaves the video frames at i / fps.
OPUS_PRESKIP_S = 312 / SAMPLE_RATE


BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]
H264 = ["-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p", "-preset", "medium", "-crf", "18",
        "-g", "60", "-threads", "2"]
AAC = ["-c:a", "aac", "-b:a", "128k", "-ac", "2"]


# --- builders (each writes into a scratch folder; the caller moves the files into place) --------

def build_pan(ff, tmp: Path, source, plates) -> None:
    clip = CLIPS["pan.mp4"]
    seconds = clip.frame_count / clip.fps
    run_ffmpeg(ff, [*raw_input(clip), *tone(seconds), *tone(seconds, OPUS_PRESKIP_S),
                    "-map", "0:v", "-map", "1:a", *H264, *AAC, "-shortest", "-movflags", "+faststart",
                    *BITEXACT, str(tmp / "pan.mp4"),
                    "-map", "0:v", "-map", "2:a", "-c:v", "libvpx-vp9", "-deadline", "realtime",
                    "-cpu-used", "8", "-b:v", "1500k", "-g", "60", "-pix_fmt", "yuv420p", "-threads", "2",
                    "-c:a", "libopus", "-b:a", "96k", "-ac", "2", "-shortest", *BITEXACT, str(tmp / "pan.webm")],
               frames(clip, source), "pan.mp4 + pan.webm")
    run_ffmpeg(ff, ["-i", str(tmp / "pan.mp4"), "-map", "0", "-c", "copy", *BITEXACT, str(tmp / "pan.mov")],
               what="pan.mov")


def build_camera(ff, tmp: Path, source, plates) -> None:
    clip = CLIPS["camera.y4m"]
    run_ffmpeg(ff, [*raw_input(clip), "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", str(tmp / "camera.y4m")],
               frames(clip, source), "camera.y4m")


def build_hevc(ff, tmp: Path, source, plates) -> None:
    clip = CLIPS["hevc.mp4"]
    run_ffmpeg(ff, [*raw_input(clip), *tone(clip.frame_count / clip.fps), "-map", "0:v", "-map", "1:a",
                    "-c:v", "libx265", "-preset", "fast", "-x265-params", "log-level=error", "-tag:v", "hvc1",
                    "-pix_fmt", "yuv420p", *AAC, "-shortest", "-movflags", "+faststart", *BITEXACT,
                    str(tmp / "hevc.mp4")],
               frames(clip, source, clip.frame_count), "hevc.mp4")


def build_bad(ff, tmp: Path, out: Path) -> None:
    pan = (out / "pan.mp4").read_bytes()
    (tmp / "truncated.mp4").write_bytes(pan[: len(pan) // 3])
    (tmp / "empty.mp4").write_bytes(b"")
    (tmp / "notavideo.mp4").write_text("This is not a video. plateblur should say it cannot read it.\n" * 20)
    run_ffmpeg(ff, ["-f", "lavfi", "-i", "color=c=gray:s=640x360:r=30", "-frames:v", "0", *H264,
                    "-movflags", "frag_keyframe+empty_moov+default_base_moof", *BITEXACT,
                    "-f", "mp4", str(tmp / "zero-frames.mp4")], what="zero-frames.mp4")
    run_ffmpeg(ff, [*tone(2), *AAC, *BITEXACT, str(tmp / "audio-only.mp4")], what="audio-only.mp4")


def build_variants(ff, tmp: Path, source, plates) -> None:
    """vfr.mp4, two-audio.mp4 and pan.mkv (VARIANTS) from pan.mp4's first frames."""
    pan = CLIPS["pan.mp4"]
    count = VARIANTS["vfr.mp4"].frame_count
    vfr = (f"settb=1/{VFR_TIMESCALE},"
           "setpts=round((N/30+0.012*mod(N\\,3)+0.1*floor(N/10))*" f"{VFR_TIMESCALE})")
    run_ffmpeg(ff, [*raw_input(pan), *tone(1.2), "-map", "0:v", "-map", "1:a", "-vf", vfr, "-fps_mode", "passthrough",
                    "-enc_time_base:v", f"1/{VFR_TIMESCALE}", *H264, *AAC,
                    "-video_track_timescale", str(VFR_TIMESCALE), "-movflags", "+faststart",
                    *BITEXACT, str(tmp / "vfr.mp4")],
               frames(pan, source, count), "vfr.mp4")
    seconds = VARIANTS["two-audio.mp4"].frame_count / pan.fps
    run_ffmpeg(ff, [*raw_input(pan), *tone(seconds), *tone(seconds, hz=660, rate=44100),
                    "-map", "0:v", "-map", "1:a", "-map", "2:a", *H264, "-c:a", "aac", "-b:a", "128k",
                    "-ac:a:0", "2", "-ac:a:1", "1", "-shortest", "-movflags", "+faststart", *BITEXACT,
                    str(tmp / "two-audio.mp4")],
               frames(pan, source, VARIANTS["two-audio.mp4"].frame_count), "two-audio.mp4")
    seconds = VARIANTS["pan.mkv"].frame_count / pan.fps
    run_ffmpeg(ff, [*raw_input(pan), *tone(seconds), "-map", "0:v", "-map", "1:a", *H264,
                    "-c:a", "libopus", "-b:a", "96k", "-ac", "2", "-shortest", *BITEXACT, str(tmp / "pan.mkv")],
               frames(pan, source, VARIANTS["pan.mkv"].frame_count), "pan.mkv")


def build_long(ff, tmp: Path, source, plates) -> None:
    """One 10 s period rendered and encoded (video only, no B-frames, so it is exactly 300 frame
    durations long and every loop starts on a key frame), then its packets looped 60 times without
    re-encoding, and a 10 min tone added."""
    clip = CLIPS["long.mp4"]
    segment = tmp / "segment.mp4"
    run_ffmpeg(ff, [*raw_input(clip), "-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p",
                    "-preset", "ultrafast", "-crf", "23", "-g", "60", "-bf", "0", "-threads", "2", *BITEXACT,
                    str(segment)],
               frames(clip, source, LONG_PERIOD_FRAMES), "long.mp4 segment")
    seconds = clip.frame_count / clip.fps
    run_ffmpeg(ff, ["-stream_loop", str(clip.frame_count // LONG_PERIOD_FRAMES - 1), "-i", str(segment),
                    *tone(seconds), "-map", "0:v", "-map", "1:a", "-c:v", "copy", *AAC,
                    "-shortest", "-movflags", "+faststart", *BITEXACT, str(tmp / "long.mp4")], what="long.mp4")
    segment.unlink()


# --- checks after encoding (PyAV) -----------------------------------------------------------------

def verify_clip(path: Path, clip: Clip, packets_only: bool = False) -> str:
    """Decode the clip with PyAV and check frame count, size, codecs, timestamps (within half a
    tick of i / fps) and the frame-index marker. Returns a one-line summary; raises MediaError."""
    import av

    problems = []
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        tb = vs.time_base
        if (vs.codec_context.width, vs.codec_context.height) != clip.size:
            problems.append(f"size {vs.codec_context.width}x{vs.codec_context.height} != {clip.size}")
        if clip.video and vs.codec_context.name != clip.video:
            problems.append(f"video codec {vs.codec_context.name} != {clip.video}")
        audio = c.streams.audio[0].codec_context.name if c.streams.audio else None
        if audio != clip.audio:
            problems.append(f"audio {audio} != {clip.audio}")
        if packets_only:
            pts = sorted(p.pts for p in c.demux(vs) if p.size)
            items = [(p, None) for p in pts]
        else:
            items = [(f.pts, f) for f in c.decode(vs)]
    if len(items) != clip.frame_count:
        problems.append(f"{len(items)} frames, not {clip.frame_count}")
    worst = Fraction(0)
    for i, (pts, frame) in enumerate(items):
        if pts is None:
            problems.append(f"frame {i} has no timestamp")
            break
        off = abs(pts * tb - Fraction(i, clip.fps))
        worst = max(worst, off)
        if off > tb / 2:
            problems.append(f"frame {i} at {float(pts * tb):.6f} s, not {i}/{clip.fps} s")
            break
        if frame is not None and clip.marker:
            index = read_marker(frame.to_ndarray(format="rgb24"))
            if index != i:
                problems.append(f"frame {i} carries marker {index}")
                break
    if problems:
        raise MediaError(f"{path.name}: " + "; ".join(problems))
    return (f"{len(items)} frames, time base {tb}, timestamps within {float(worst) * 1e6:.1f} us of i/{clip.fps} s"
            + (", markers read back" if clip.marker and not packets_only else ""))


def verify_variant(path: Path, variant: Variant) -> str:
    """Decode a variant with PyAV: frame count, pan.mp4's markers in order, the audio tracks' codecs,
    and (vfr.mp4) every timestamp within half a tick of the one set. Raises MediaError."""
    import av

    problems = []
    with av.open(str(path)) as c:
        audio = tuple(s.codec_context.name for s in c.streams.audio)
        vs = c.streams.video[0]
        decoded = [(f.pts, read_marker(f.to_ndarray(format="rgb24"))) for f in c.decode(vs)]
        tb = vs.time_base
    if audio != variant.audio:
        problems.append(f"audio tracks {audio} != {variant.audio}")
    if len(decoded) != variant.frame_count:
        problems.append(f"{len(decoded)} frames, not {variant.frame_count}")
    if [m for _, m in decoded] != list(range(len(decoded))):
        problems.append("the frame markers are not 0, 1, 2, ...")
    wanted = variant.timestamps_us()
    if wanted:
        off = max(abs(pts * tb * 1_000_000 - t) for (pts, _), t in zip(decoded, wanted))
        if off > tb * 1_000_000 / 2:
            problems.append(f"timestamps up to {float(off):.0f} us away from the ones set")
    if problems:
        raise MediaError(f"{path.name}: " + "; ".join(problems))
    return f"{len(decoded)} frames, markers read back, audio {', '.join(audio)}" + (
        f", every timestamp as set (time base {tb})" if wanted else "")


def variant_truth(variant: Variant) -> dict:
    return {"file": variant.name, "frames_of": "pan.mp4", "frame_count": variant.frame_count,
            "audio": list(variant.audio), "timestamps_us": variant.timestamps_us(), "note": variant.note}


# --- the build ------------------------------------------------------------------------------------

@dataclass
class Group:
    outputs: tuple[str, ...]
    build: Callable
    after: tuple[str, ...] = ()     # rebuilt whenever a group it names is


def stamp_inputs() -> float:
    return max(p.stat().st_mtime for p in (Path(__file__).resolve(), SOURCE, PLATES_JSON))


def fresh(out: Path, names, since: float) -> bool:
    return all((out / n).is_file() and (out / n).stat().st_mtime > since for n in names)


@contextlib.contextmanager
def locked(out: Path):
    """One build at a time per folder (parallel test workers)."""
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build(out: Path = DEFAULT_OUT, long: bool = False, force: bool = False, log=print) -> dict:
    """Make what is missing or stale under ``out``; returns the truth.json content."""
    out = Path(out)
    with locked(out):
        return _build(out, long, force, log)


def _build(out: Path, long: bool, force: bool, log) -> dict:
    since = stamp_inputs()
    truth_path = out / "truth.json"
    if not force and fresh(out, ["truth.json"], since):
        current = json.loads(truth_path.read_text())
        wanted = {n for n in DEFAULT_SET if n not in current.get("skipped", {})} | set(current["clips"])
        wanted |= {"long.mp4"} if long else set()
        if fresh(out, wanted, since):
            log(f"make_media: up to date in {out}")
            return current

    ff = find_ffmpeg()
    have = encoders(ff)
    missing = [e for e in ("libx264", "libvpx-vp9", "libopus", "aac") if e not in have]
    if missing:
        raise MediaError(f"this ffmpeg ({ff}) lacks the encoder(s) {', '.join(missing)}")
    try:
        import av  # noqa: F401
        checked = True
    except ImportError:
        checked = False
        log("make_media: PyAV (av) is not installed: the clips are not checked after encoding")
    source, plates = load_source()
    skipped = {}
    groups = {
        "pan": Group(("pan.mp4", "pan.webm", "pan.mov"), lambda t: build_pan(ff, t, source, plates)),
        "camera": Group(("camera.y4m",), lambda t: build_camera(ff, t, source, plates)),
        "hevc": Group(("hevc.mp4",), lambda t: build_hevc(ff, t, source, plates)),
        "bad": Group(tuple(BAD_INPUTS), lambda t: build_bad(ff, t, out), after=("pan",)),
        "variants": Group(tuple(VARIANTS), lambda t: build_variants(ff, t, source, plates)),
    }
    if "libx265" not in have:
        del groups["hevc"]
        skipped["hevc.mp4"] = f"this ffmpeg ({ff}) has no libx265 encoder"
        (out / "hevc.mp4").unlink(missing_ok=True)
        log("make_media: skipping hevc.mp4: this ffmpeg has no libx265 encoder")
    if long:
        groups["long"] = Group(("long.mp4",), lambda t: build_long(ff, t, source, plates))

    made: list[str] = []
    rebuilt: set[str] = set()
    for name, group in groups.items():
        if not force and fresh(out, group.outputs, since) and not rebuilt & set(group.after):
            continue
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(dir=out, prefix=".partial-") as tmp:
            group.build(Path(tmp))
            took = time.perf_counter() - started
            notes = [f"{n}: {verify_clip(Path(tmp) / n, CLIPS[n], packets_only=n == 'long.mp4')}"
                     for n in group.outputs if checked and n in CLIPS]
            notes += [f"{n}: {verify_variant(Path(tmp) / n, VARIANTS[n])}"
                      for n in group.outputs if checked and n in VARIANTS]
            for n in group.outputs:                 # only checked files reach the folder
                os.replace(Path(tmp) / n, out / n)
        rebuilt.add(name)
        made.extend(group.outputs)
        log(f"make_media: made {', '.join(group.outputs)} in {took:.1f} s"
            + (f" (checked in {time.perf_counter() - started - took:.1f} s)" if notes else ""))
        for note in notes:
            log(f"  checked {note}")

    clips = {}
    for name, clip in CLIPS.items():
        if name in skipped or not (out / name).is_file():
            continue
        if not fresh(out, [name], since):           # long.mp4 from an older generator, not asked for
            log(f"make_media: {name} is out of date and left out of truth.json (remake it with --long)")
            continue
        clips[name] = clip_truth(clip, plates, source.size)
    variants = {name: variant_truth(v) for name, v in VARIANTS.items() if (out / name).is_file()}
    truth = {"generator": "tools/testkit/make_media.py", "source": SOURCE.name, "clips": clips,
             "variants": variants, "bad_inputs": BAD_INPUTS, "skipped": skipped}
    text = json.dumps(truth, separators=(",", ":"))
    if not fresh(out, ["truth.json"], since) or truth_path.read_text() != text:
        partial = truth_path.with_name(f".truth.json.{os.getpid()}")
        partial.write_text(text)
        os.replace(partial, truth_path)

    for name in made:
        line = f"  {name:16} {(out / name).stat().st_size:>12,} bytes"
        if name in clips:
            st = clips[name]["stats"]
            line += (f"  {st['frames']} frames; plates per frame {st['plates_per_frame']}; smallest "
                     f"{st['min_width']:.1f} x {st['min_height']:.1f} px; {st['clipped_boxes']} boxes clipped, "
                     f"{st['dropped_boxes']} dropped" + "".join(f" (plate {p} in frames {r})"
                                                            for p, r in st["dropped_frames"].items()))
        log(line)
    return truth


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the clips and truth.json")
    p.add_argument("--long", action="store_true", help="also make long.mp4 (10 min 720p, for the memory benchmark)")
    p.add_argument("--force", action="store_true", help="rebuild even what is up to date")
    a = p.parse_args(argv)
    started = time.perf_counter()
    try:
        build(a.out, long=a.long, force=a.force)
    except MediaError as exc:
        print(f"make_media: {exc}", file=sys.stderr)
        return 1
    print(f"make_media: done in {time.perf_counter() - started:.1f} s ({a.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
