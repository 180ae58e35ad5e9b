"""The test-video generator (tools/testkit/make_media.py) and the checks in tools/testkit/media.py.

The first tests need only numpy and Pillow; the rest make the clips (ffmpeg) and read them (PyAV)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image, ImageFilter

from tools.testkit import make_media as gen
from tools.testkit.media import (OBSCURED_MAX_RATIO, all_truth, audio_packets, boxes_of, detail_ratio,
                                 ensure_media, frame_at, frame_index, plate_obscured, read_video, truth)

OUT_WH = (640, 360)


def _edges(profile: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    """Sub-pixel positions (frame coordinates: pixel i spans [i, i+1)) where the profile crosses
    half-way between black and white going up, then down, searched within [lo - 3, hi + 3]; a box
    that runs off the frame gives the frame's edge there."""
    start = max(int(lo) - 3, 0)
    p = profile[start:int(hi) + 4].astype(np.float64)
    above = p >= 127.5

    def crossing(mask, edge):
        hits = np.flatnonzero(mask)
        if not len(hits):
            return edge
        i = int(hits[0])
        return start + i + 0.5 + (127.5 - p[i]) / (p[i + 1] - p[i])
    return (crossing(~above[:-1] & above[1:], 0.0),
            crossing(above[:-1] & ~above[1:], float(len(profile))))


@pytest.mark.parametrize("index", [0, 45, 66, 80, 149])
def test_frame_boxes_follow_the_crop_transform(index):
    """White rectangles at whole-pixel boxes of a black photo land exactly where map_boxes puts them
    (edges within 0.2 px), through the same crop-and-resize that makes the clips."""
    rects = [[round(v) for v in box] for box in gen.load_source()[1]]
    photo = np.zeros((720, 1280, 3), np.uint8)
    for x1, y1, x2, y2 in rects:
        photo[y1:y2, x1:x2] = 255
    window = gen.frame_windows(gen.CLIPS["pan.mp4"], (1280, 720))[index]
    frame = gen.render(Image.fromarray(photo), window, OUT_WH)[..., 0]
    boxes, ids, dropped = gen.map_boxes(rects, window, OUT_WH)
    assert boxes, "the pan always shows some plate"
    for (x1, y1, x2, y2), i in zip(boxes, ids):
        seen_x = _edges(frame[int((y1 + y2) / 2)], x1, x2)
        seen_y = _edges(frame[:, int((x1 + x2) / 2)], y1, y2)
        for side, seen, expected in zip(("x1", "x2", "y1", "y2"), (*seen_x, *seen_y), (x1, x2, y1, y2)):
            assert seen == pytest.approx(expected, abs=0.2), f"frame {index}, plate {i}, {side}"


@pytest.mark.parametrize("name", ["pan.mp4", "camera.y4m", "long.mp4"])
def test_paths_stay_inside_the_photo(name):
    """No crop window needs moving back into the photo (that would jerk the motion), and the
    closed loops end where they start."""
    clip = gen.CLIPS[name]
    period = clip.frame_count if name != "long.mp4" else gen.LONG_PERIOD_FRAMES
    for i in range(period + 1):
        cx, cy, w = clip.path(i / clip.fps)
        h = w * clip.size[1] / clip.size[0]
        x, y, ww, hh = gen.crop_window(clip.path, i / clip.fps, (1280, 720), clip.size)
        assert (x, y, ww, hh) == pytest.approx((cx - w / 2, cy - h / 2, w, h)), f"{name} frame {i}"
    if name != "pan.mp4":
        assert clip.path(period / clip.fps) == pytest.approx(clip.path(0.0))


def test_boxes_are_clipped_then_dropped_under_half_in_view():
    plates = [[100, 100, 200, 120]]
    window = (0.0, 0.0, 640.0, 360.0)                               # 1:1 onto a 640x360 frame
    assert gen.map_boxes(plates, window, OUT_WH)[0] == [[100, 100, 200, 120]]
    shifted = (140.0, 0.0, 640.0, 360.0)                            # 60 % in view: clipped, kept
    assert gen.map_boxes(plates, shifted, OUT_WH)[0] == [[0.0, 100.0, 60.0, 120.0]]
    shifted = (160.0, 0.0, 640.0, 360.0)                            # 40 % in view: dropped
    boxes, ids, dropped = gen.map_boxes(plates, shifted, OUT_WH)
    assert boxes == [] and dropped == [(0, pytest.approx(0.4), [0.0, 100.0, 40.0, 120.0])]
    narrow = [[100, 100, 110, 120]]                                 # 55 % but 5.5 px: dropped
    assert gen.map_boxes(narrow, (104.5, 0.0, 640.0, 360.0), OUT_WH)[0] == []


def test_marker_round_trip_at_any_size():
    for index in (0, 1, 77, 149, 255):
        frame = np.full((360, 640, 3), 90, np.uint8)
        gen.draw_marker(frame, index)
        assert frame_index(frame) == index
        small = np.asarray(Image.fromarray(frame).resize((320, 180), Image.Resampling.BILINEAR))
        assert frame_index(small) == index
    assert frame_index(np.full((360, 640, 3), 90, np.uint8)) is None


# --- the clips --------------------------------------------------------------------------------------

def test_missing_ffmpeg_is_reported(monkeypatch):
    monkeypatch.delenv("FFMPEG", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(gen.MediaError, match="ffmpeg not found"):
        gen.find_ffmpeg()


@pytest.fixture(scope="module")
def media_dir():
    pytest.importorskip("av")
    try:
        return ensure_media()
    except RuntimeError as exc:
        if shutil.which("ffmpeg") is None:
            pytest.skip(f"{exc} (tools/setup --test installs ffmpeg)")
        raise


def test_generator_is_idempotent(media_dir):
    def stamps():
        return {p.name: p.stat().st_mtime_ns for p in media_dir.iterdir() if p.is_file() and p.name != ".lock"}
    before = stamps()
    ensure_media()
    after = stamps()
    assert after == before


def test_truth_describes_the_pan(media_dir):
    clip = truth("pan.mp4")
    assert (clip["fps"], clip["width"], clip["height"], len(clip["frames"])) == (30, 640, 360, 150)
    assert [f[0] for f in clip["frames"]] == [round(i * 1e6 / 30) for i in range(150)]
    counts = [len(boxes) for _, boxes in clip["frames"]]
    assert min(counts) >= 2 and counts.count(3) >= 0.8 * len(counts)
    widths = [b[2] - b[0] for _, boxes in clip["frames"] for b in boxes]
    assert min(widths) >= 20, "plates stay large enough for the detector"
    assert clip["stats"]["dropped_boxes"] > 0 and clip["stats"]["clipped_boxes"] > 0
    assert frame_at("pan.mp4", 1_000_000) == 30 and frame_at("pan.mp4", 5_100_000) is None
    assert frame_at("camera.y4m", 6_000_000) == 0                    # the fake camera loops
    must, may = boxes_of("pan.mp4", 80)
    assert len(must) == 2 and len(may) == 1


@pytest.mark.parametrize(("name", "codec", "tolerance_us"), [
    ("pan.mp4", "h264", 0), ("pan.mov", "h264", 0), ("pan.webm", "vp9", 500),
    ("camera.y4m", "rawvideo", 0), ("hevc.mp4", "hevc", 0)])
def test_clip_frames_and_timestamps(media_dir, name, codec, tolerance_us):
    import av

    if name not in all_truth()["clips"]:
        pytest.skip(f"{name} was not made: {all_truth()['skipped'].get(name)}")
    clip = truth(name)
    with av.open(str(media_dir / name)) as c:
        assert c.streams.video[0].codec_context.name == codec
    frames, stamps = read_video(media_dir / name)
    assert len(frames) == clip["frame_count"]
    assert frames[0].shape == (clip["height"], clip["width"], 3)
    for i, (stamp, (expected, _)) in enumerate(zip(stamps, clip["frames"])):
        assert abs(stamp - expected) <= tolerance_us, f"frame {i}"
    assert [frame_index(f) for f in frames] == list(range(len(frames)))


def test_audio_tracks(media_dir):
    mp4 = audio_packets(media_dir / "pan.mp4")
    assert len(mp4) > 200 and mp4 == audio_packets(media_dir / "pan.mov")   # remuxed, not re-encoded
    assert len(audio_packets(media_dir / "pan.webm")) > 200
    assert audio_packets(media_dir / "camera.y4m") == []


def test_bad_inputs(media_dir):
    import av

    assert (media_dir / "empty.mp4").stat().st_size == 0
    assert (media_dir / "truncated.mp4").stat().st_size == (media_dir / "pan.mp4").stat().st_size // 3
    with av.open(str(media_dir / "zero-frames.mp4")) as c:
        assert len(c.streams.video) == 1 and list(c.decode(video=0)) == []
    with av.open(str(media_dir / "audio-only.mp4")) as c:
        assert not c.streams.video and len(c.streams.audio) == 1
    with pytest.raises(av.error.InvalidDataError):
        av.open(str(media_dir / "notavideo.mp4"))


# --- plate_obscured ---------------------------------------------------------------------------------

def _encode(frames, path, codec, options, bit_rate=None):
    import av

    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=30, options=options)
        s.width, s.height, s.pix_fmt = OUT_WH[0], OUT_WH[1], "yuv420p"
        if bit_rate:
            s.bit_rate = bit_rate
        for i, f in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(f, format="rgb24")
            frame.pts = i
            for packet in s.encode(frame):
                c.mux(packet)
        for packet in s.encode():
            c.mux(packet)
    return read_video(path)[0]


def _blurred(frame, boxes):
    """The boxes (grown by 4 px, as the app pads) under a strong Gaussian blur: sigma = half the
    plate's height, at least 2 px."""
    img = Image.fromarray(frame)
    for x1, y1, x2, y2 in boxes:
        r = (max(int(x1) - 4, 0), max(int(y1) - 4, 0), min(int(np.ceil(x2)) + 4, OUT_WH[0]),
             min(int(np.ceil(y2)) + 4, OUT_WH[1]))
        img.paste(img.crop(r).filter(ImageFilter.GaussianBlur(max(2.0, (y2 - y1) / 2))), r[:2])
    return np.asarray(img)


# harsher than the page's own output, so that an untouched plate's margin is measured at its smallest
ENCODERS = {"h264-crf30": ("libx264", {"crf": "30"}, None, "mp4"),
            "vp9-300k": ("libvpx-vp9", {"deadline": "realtime", "cpu-used": "8"}, 300_000, "webm")}


@pytest.mark.parametrize("encoder", list(ENCODERS))
def test_plate_obscured_tells_blurred_from_reencoded(media_dir, tmp_path, encoder):
    """Every plate of pan.mp4, re-encoded untouched, keeps far more detail than the bound (not
    obscured); blurred before encoding, it keeps far less (obscured). Prints both ratios."""
    codec, options, bit_rate, ext = ENCODERS[encoder]
    originals, _ = read_video(media_dir / "pan.mp4")
    boxes = [b for _, b in truth("pan.mp4")["frames"]]
    kept = _encode(originals, tmp_path / f"kept.{ext}", codec, options, bit_rate)
    blurred = _encode([_blurred(f, b) for f, b in zip(originals, boxes)], tmp_path / f"blurred.{ext}",
                      codec, options, bit_rate)
    kept_ratios = [detail_ratio(o, k, box) for o, k, bs in zip(originals, kept, boxes) for box in bs]
    blur_ratios = [detail_ratio(o, b, box) for o, b, bs in zip(originals, blurred, boxes) for box in bs]
    print(f"\n{encoder}: detail ratio over {len(kept_ratios)} plates: re-encoded untouched "
          f"min {min(kept_ratios):.3f} median {np.median(kept_ratios):.3f}; blurred max {max(blur_ratios):.3f} "
          f"median {np.median(blur_ratios):.3f}; bound {OBSCURED_MAX_RATIO}")
    assert not any(plate_obscured(o, k, box) for o, k, bs in zip(originals, kept, boxes) for box in bs)
    assert all(plate_obscured(o, b, box) for o, b, bs in zip(originals, blurred, boxes) for box in bs)
    assert min(kept_ratios) > 2 * OBSCURED_MAX_RATIO and max(blur_ratios) < OBSCURED_MAX_RATIO / 2
