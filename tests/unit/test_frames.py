"""The per-frame path of streams (plateblur.frames and the page's one frame loop), in CPython: a
fake detector and a fake frame source/sink stand in for onnxruntime-web and web/worker/*.js."""
from __future__ import annotations


import numpy as np
import pytest
from tests.support.helpers import BrightBoxModel, coverage, make_frame

from plateblur.browser import streams
from plateblur.frame_pixels import ArrayFrame, FramePixels
from plateblur.frames import FrameProcessor, run_sync
from plateblur.pipeline import unpack_patches
from plateblur.settings import CAMERA, Settings
from plateblur.tiling import plan_windows


class AsyncModel:
    """An awaitable detector like the page's OrtModel; raises on the runs listed in ``fail_on``."""

    def __init__(self, fail_on=(), input_wh=(640, 640), dynamic=False):
        self.model = BrightBoxModel()
        self.input_wh, self.dynamic = input_wh, dynamic
        self.fail_on = set(fail_on)
        self.runs = 0

    async def __call__(self, tensor):
        self.runs += 1
        if self.runs in self.fail_on:
            raise RuntimeError("the model failed")
        return self.model(tensor)


class Frame:
    def __init__(self, rgb, gap=1, settings=None):
        self.rgb, self.gap, self.settings = rgb, gap, settings
        self.pixels = rgb


class FakeJob:
    """Source and sink of ``streams.run``, as web/worker/frame-job.js does it: holds each frame until
    commit() pastes the obscured patches into it, or blacks it out when processing failed."""

    def __init__(self, frames):
        self.frames = list(frames)
        self.out: list[np.ndarray] = []
        self.results = []

    async def next(self):
        if not self.frames:
            return None
        frame = self.frames.pop(0)
        self.holding = frame.rgb.copy()
        return frame

    async def commit(self, result):
        image = self.holding
        if result.failed:
            image[...] = 0
        else:
            for (x1, y1, x2, y2), patch in zip(result.regions.tolist(), unpack_patches(result.regions, result.patches)):
                image[y1:y2, x1:x2] = patch[:, :, :3]
        self.out.append(image)
        self.results.append(result)


def plate_frame(x: int, y: int = 100, w: int = 320, h: int = 240) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A dark frame with one bright 'plate' (40 x 12) whose left edge is at ``x``."""
    frame = make_frame(w, h, 20)
    box = (x, y, x + 40, y + 12)
    frame[box[1]:box[3], box[0]:box[2]] = 230
    frame[box[1] + 4:box[1] + 8, box[0] + 5:box[2] - 5:3] = 0          # strokes to hide
    return frame, box


def run(job, processor):
    return run_sync(streams.run(job, processor))


def test_every_frame_is_detected_tracked_and_obscured_in_order():
    frames = [plate_frame(20 + 4 * i) for i in range(6)]
    job = FakeJob(Frame(rgb) for rgb, _ in frames)
    processor = FrameProcessor(AsyncModel(), Settings())
    assert run(job, processor) == 6
    assert processor.model.runs == 6 and processor.failed == 0
    for (rgb, box), out, result in zip(frames, job.out, job.results):
        assert coverage(box, result.regions.tolist(), rgb.shape[:2]) == 1.0
        x1, y1, x2, y2 = box
        assert not np.array_equal(out[y1:y2, x1:x2], rgb[y1:y2, x1:x2]), "the plate was passed on unobscured"
        outside = np.ones(rgb.shape[:2], bool)
        for rx1, ry1, rx2, ry2 in result.regions.tolist():
            outside[ry1:ry2, rx1:rx2] = False
        np.testing.assert_array_equal(out[outside], rgb[outside])


def test_detection_cadence_runs_the_model_on_every_nth_frame_and_the_tracker_covers_the_rest():
    frames = [plate_frame(20 + 3 * i) for i in range(7)]
    job = FakeJob(Frame(rgb) for rgb, _ in frames)
    processor = FrameProcessor(AsyncModel(), Settings(detect_every=3))
    run(job, processor)
    assert [r.detected for r in job.results] == [True, False, False, True, False, False, True]
    assert processor.model.runs == 3
    for (rgb, box), result in zip(frames, job.results):
        assert coverage(box, result.regions.tolist(), rgb.shape[:2]) == 1.0, f"plate shown: {box}"


def test_a_frame_whose_processing_fails_is_hidden_whole_and_the_stream_goes_on():
    frames = [plate_frame(40) for _ in range(3)]
    job = FakeJob(Frame(rgb) for rgb, _ in frames)
    processor = FrameProcessor(AsyncModel(fail_on={2}), Settings())
    assert run(job, processor) == 3
    assert [r.failed is not None for r in job.results] == [False, True, False]
    assert job.results[1].failed == "RuntimeError: the model failed"
    assert not job.out[1].any(), "a failed frame must be written black"
    assert job.out[2].any() and processor.failed == 1


def test_dropped_frames_widen_the_tracked_region():
    """A live source that skips frames passes the gap: the track's margin grows with it."""
    first, _ = plate_frame(100)
    blank = make_frame(320, 240, 20)
    sizes = []
    for gap in (1, 4):
        processor = FrameProcessor(AsyncModel(), Settings())
        job = FakeJob([Frame(first), Frame(blank, gap=gap)])
        run(job, processor)
        (x1, y1, x2, y2), = job.results[1].regions.tolist()
        sizes.append((x2 - x1) * (y2 - y1))
    assert sizes[1] > sizes[0]


def test_new_settings_apply_from_the_frame_they_come_with():
    frames = [plate_frame(40)[0] for _ in range(3)]
    job = FakeJob([Frame(frames[0]), Frame(frames[1], settings={"mode": "fill"}), Frame(frames[2])])
    processor = FrameProcessor(AsyncModel(), Settings(mode="blur"))
    run(job, processor)
    (x1, y1, x2, y2), = job.results[0].regions.tolist()
    assert job.out[0][y1:y2, x1:x2].any()                                  # blurred, not black
    for out, result in zip(job.out[1:], job.results[1:]):
        (x1, y1, x2, y2), = result.regions.tolist()
        assert not out[y1:y2, x1:x2].any()                                 # filled from frame 1 on
    assert processor.settings.mode == "fill"


def test_the_camera_keeps_its_own_settings_whatever_the_page_sends():
    frames = [plate_frame(40)[0] for _ in range(2)]
    page_sends = {"mode": "fill", **{name: not value for name, value in CAMERA.items()}}
    job = FakeJob([Frame(frames[0]), Frame(frames[1], settings=page_sends)])
    processor = FrameProcessor(AsyncModel(), Settings().updated(**CAMERA))
    run_sync(streams.run(job, processor, kept=CAMERA))
    assert processor.settings.mode == "fill"                               # the rest still applies
    assert {name: getattr(processor.settings, name) for name in CAMERA} == CAMERA
    assert processor.settings.turns == (0,)                                # never the thorough search


@pytest.mark.parametrize("detect_every", [1, 2])
def test_frames_are_counted_once_each(detect_every):
    job = FakeJob(Frame(plate_frame(40)[0]) for _ in range(5))
    processor = FrameProcessor(AsyncModel(), Settings(detect_every=detect_every))
    assert run(job, processor) == 5 == processor.processed == len(job.out)
    stages = processor.clock.per_frame_ms(5)
    assert {"decode", "preprocess", "run", "postprocess", "obscure", "encode"} <= set(stages)


def test_run_sync_refuses_a_coroutine_that_waits():
    class Pending:                       # what an awaited future does until it is done: yield
        def __await__(self):
            yield

    async def waits():
        await Pending()

    with pytest.raises(RuntimeError, match="waited on something"):
        run_sync(waits())


class CanvasLike(FramePixels):
    """Pixels served as the page's canvas serves them (browser.bridge.PageFrame): the detector's windows
    already fitted, the regions' pixels cut out; asking for the whole frame fails the test."""

    def __init__(self, rgb):
        self._frame = ArrayFrame(rgb)
        self.size = self._frame.size
        self.calls = []

    async def rgb(self):
        raise AssertionError("the whole frame was read")

    async def fitted(self, windows):
        self.calls.append(("fitted", len(windows)))
        return [np.dstack([f, np.full(f.shape[:2], 255, np.uint8)]) for f in await self._frame.fitted(windows)]   # RGBA, like a canvas

    async def region_rgba(self, regions):
        self.calls.append(("regions", len(regions)))
        return await self._frame.region_rgba(regions)


@pytest.mark.parametrize("size", [(320, 240), (1920, 1080)])       # one window; the whole frame and tiles
def test_a_frame_read_window_by_window_gives_what_the_whole_frame_gives(size):
    w, h = size
    frame = make_frame(w, h, 20)
    frame[h // 2:h // 2 + 12, w // 3:w // 3 + 40] = 230
    frame[h // 2 + 4:h // 2 + 8, w // 3 + 5:w // 3 + 35:3] = 0
    whole = run_sync(FrameProcessor(AsyncModel(), Settings()).process(frame))
    canvas = CanvasLike(frame)
    windowed = run_sync(FrameProcessor(AsyncModel(), Settings()).process(canvas))
    assert len(whole.regions) == 1
    np.testing.assert_array_equal(windowed.regions, whole.regions)
    np.testing.assert_array_equal(windowed.patches, whole.patches)
    windows = len(plan_windows(size, (640, 640), Settings().max_downscale))
    assert canvas.calls == [("fitted", windows), ("regions", 1)]


def test_frames_between_detections_read_only_their_regions():
    processor = FrameProcessor(AsyncModel(), Settings(detect_every=2))
    frames = [CanvasLike(plate_frame(40 + i)[0]) for i in range(2)]
    results = [run_sync(processor.process(frame)) for frame in frames]
    assert [r.detected for r in results] == [True, False]
    assert frames[1].calls == [("regions", 1)]
