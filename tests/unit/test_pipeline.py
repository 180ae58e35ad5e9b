from contextlib import nullcontext as does_not_raise

import numpy as np
import pytest

from plateblur.detections import Detections
from plateblur.pipeline import FRAGMENT_SHARE, TILE_BOX_SHARE, detect, finish, prepare, render, select
from plateblur.settings import DETECTION_FLOOR, Settings
from plateblur.tiling import plan_windows
from tests.support.helpers import (
    INPUT_WH, BrightBoxModel, coverage, make_detections, make_frame, noise_frame, outside_mask,
    xyxy_to_cxcywh, yolo_output,
)


# --- prepare -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("frame", "exception"),
    [
        (make_frame(64, 48), does_not_raise()),
        (np.zeros((48, 64), np.uint8), pytest.raises(ValueError, match="H x W x 3")),       # grey
        (np.zeros((48, 64, 4), np.uint8), pytest.raises(ValueError, match="H x W x 3")),    # RGBA
        (np.zeros((48, 64, 1), np.uint8), pytest.raises(ValueError, match="H x W x 3")),
        (np.zeros((48, 64, 3), np.float32), pytest.raises(ValueError, match="uint8")),
        (np.zeros((48, 64, 3), np.uint16), pytest.raises(ValueError, match="uint8")),
    ],
)
def test_prepare_checks_the_frame(frame, exception):
    with exception:
        jobs = prepare(frame, INPUT_WH, 2.0)
    if isinstance(exception, does_not_raise):
        assert len(jobs) == 1


@pytest.mark.parametrize(
    ("frame_wh", "expected_jobs"),
    [((1, 1), 1), ((416, 416), 1), ((1280, 720), 1), ((4000, 3000), 13), ((10000, 100), 12), ((100, 10000), 12)],
)
def test_prepare_jobs(frame_wh, expected_jobs):
    w, h = frame_wh
    jobs = prepare(make_frame(w, h, 40), INPUT_WH, 2.0)
    assert len(jobs) == expected_jobs
    windows = plan_windows((w, h), INPUT_WH, 2.0)
    for job, (x1, y1, x2, y2) in zip(jobs, windows):
        assert job.tensor.shape == (1, 3, 640, 640) and job.tensor.dtype == np.float32
        assert job.letterbox.source_wh == (w, h)                 # tiles map to the whole frame
        assert job.letterbox.origin_xy == (x1, y1)
        assert job.tile_wh == (None if job is jobs[0] else (1280, 1280))   # the full tile, even where clipped
        # the window's far corner, in model pixels, maps back to the window's far corner
        (sx, sy), (px, py) = job.letterbox.scale_xy, job.letterbox.pad_xy
        far = job.letterbox.to_source(np.array([[px, py, px + sx * (x2 - x1), py + sy * (y2 - y1)]]))[0]
        np.testing.assert_allclose(far, [x1, y1, x2, y2], atol=0.5)
    assert jobs[0].letterbox.origin_xy == (0, 0)


# --- finish --------------------------------------------------------------------------------------

def _outputs_for(jobs, per_job_boxes_in_model_px):
    """One synthetic output per job from {job index: [(x1, y1, x2, y2, score), ...]}."""
    outs = []
    for i in range(len(jobs)):
        rows = [(*xyxy_to_cxcywh(b[:4]), b[4]) for b in per_job_boxes_in_model_px.get(i, [])]
        outs.append(yolo_output(rows, 32))
    return outs


def test_finish_with_nothing_found():
    jobs = prepare(make_frame(1280, 720), INPUT_WH, 2.0)
    det = finish(_outputs_for(jobs, {}), jobs, 0.5)
    assert len(det) == 0 and det.xyxy.shape == (0, 4)


def test_finish_keeps_candidates_down_to_the_floor_and_sorts_by_score():
    jobs = prepare(make_frame(1280, 720), INPUT_WH, 2.0)           # scale 0.5, 140 px grey on top
    boxes = {0: [(100, 200, 150, 220, 0.3), (300, 200, 350, 220, 0.9),
                 (500, 200, 550, 220, DETECTION_FLOOR), (10, 400, 40, 410, DETECTION_FLOOR - 0.01)]}
    det = finish(_outputs_for(jobs, boxes), jobs, 0.5)
    np.testing.assert_allclose(det.confidence, [0.9, 0.3, DETECTION_FLOOR], rtol=1e-6)
    np.testing.assert_allclose(det.xyxy, [[600, 120, 700, 160], [200, 120, 300, 160], [1000, 120, 1100, 160]],
                               atol=1e-3)


def test_finish_suppresses_overlaps_across_windows():
    w, h = 4000, 3000
    jobs = prepare(make_frame(w, h), INPUT_WH, 2.0)
    plate = np.array([1850, 1800, 2050, 1860], np.float64)        # where four tiles overlap
    per_job = {}
    for i, job in enumerate(jobs):
        (sx, sy), (px, py), (ox, oy) = job.letterbox.scale_xy, job.letterbox.pad_xy, job.letterbox.origin_xy
        x1, y1, x2, y2 = plate
        window = plan_windows((w, h), INPUT_WH, 2.0)[i]
        if window[0] <= x1 and window[1] <= y1 and window[2] >= x2 and window[3] >= y2:
            per_job[i] = [((x1 - ox) * sx + px, (y1 - oy) * sy + py, (x2 - ox) * sx + px, (y2 - oy) * sy + py,
                           0.5 + 0.01 * i)]
    assert len(per_job) == 5                                      # the whole frame and four tiles
    det = finish(_outputs_for(jobs, per_job), jobs, 0.5)
    assert len(det) == 1
    assert det.confidence[0] == pytest.approx(0.5 + 0.01 * max(per_job))
    np.testing.assert_allclose(det.xyxy[0], plate, atol=0.5)


def test_finish_clips_boxes_to_the_frame():
    jobs = prepare(make_frame(1280, 720), INPUT_WH, 2.0)
    # a box running from the grey border into the picture at the top-left corner
    det = finish(_outputs_for(jobs, {0: [(-20, 100, 40, 160, 0.8)]}), jobs, 0.5)
    np.testing.assert_allclose(det.xyxy, [[0, 0, 80, 40]], atol=1e-3)


def test_finish_drops_boxes_that_lie_wholly_outside_the_frame():
    """A box found in the letterbox's grey border covers no pixel of the photo: it is no plate."""
    jobs = prepare(make_frame(1280, 720), INPUT_WH, 2.0)
    outputs = _outputs_for(jobs, {0: [(100, 20, 160, 40, 0.8), (300, 600, 360, 620, 0.7), (200, 300, 260, 320, 0.6)]})
    det = finish(outputs, jobs, 0.5)
    np.testing.assert_allclose(det.xyxy, [[400, 320, 520, 360]], atol=1e-3)


@pytest.mark.parametrize(
    ("job_index", "size_wh", "kept"),
    [
        (0, (2000, 1500), True),                                # the whole frame: any size
        (1, (1280 * TILE_BOX_SHARE, 100), True),                # a tile: up to TILE_BOX_SHARE of it
        (1, (100, 1280 * TILE_BOX_SHARE), True),
        (1, (1280 * TILE_BOX_SHARE + 8, 100), False),           # more: an artefact of the tile
        (1, (100, 1280 * TILE_BOX_SHARE + 8), False),
        (1, (1280, 1280), False),
    ],
)
def test_finish_drops_tile_sized_boxes_from_tiles_only(job_index, size_wh, kept):
    jobs = prepare(make_frame(4000, 3000), INPUT_WH, 2.0)
    bw, bh = size_wh
    box = jobs[job_index].letterbox
    (sx, sy), (px, py), (ox, oy) = box.scale_xy, box.pad_xy, box.origin_xy
    x1, y1 = ox + 10, oy + 10                                     # in source pixels
    model_box = ((x1 - ox) * sx + px, (y1 - oy) * sy + py, (x1 + bw - ox) * sx + px, (y1 + bh - oy) * sy + py, 0.7)
    det = finish(_outputs_for(jobs, {job_index: [model_box]}), jobs, 0.5)
    assert len(det) == int(kept)
    if kept:
        np.testing.assert_allclose(det.xyxy[0], [x1, y1, x1 + bw, y1 + bh], atol=0.5)


@pytest.mark.parametrize(
    ("frame_wh", "rect"),
    [((10000, 100), (5000, 20, 5150, 80)), ((100, 10000), (20, 5000, 80, 5030))],
)
def test_a_plate_filling_a_narrow_strip_is_not_dropped_as_an_artefact(frame_wh, rect):
    """In a strip narrower than a tile, the tiles are as narrow as the strip. A plate over half the
    strip's width is no tile artefact, and only the tiles see it large enough to detect."""
    w, h = frame_wh
    frame = make_frame(w, h)
    x1, y1, x2, y2 = rect
    frame[y1:y2, x1:x2] = 255
    model = BrightBoxModel(min_side_px=6)                          # the whole strip view is too small
    out = render(frame, detect(frame, model, INPUT_WH, Settings()), Settings())
    assert coverage(rect, out.regions, (h, w)) == 1.0, out.regions.tolist()


def test_finish_needs_one_output_per_job():
    """Fewer outputs than jobs (a tile not run) must not silently lose that tile's plates."""
    jobs = prepare(make_frame(4000, 3000), INPUT_WH, 2.0)
    outputs = _outputs_for(jobs, {0: [(300, 300, 330, 310, 0.8)]})
    with pytest.raises(ValueError):
        finish(outputs[:1], jobs, 0.5)


# --- select ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("boxes", "scores", "conf", "expected_kept"),
    [
        ([], [], 0.1, []),
        ([[0, 0, 10, 10]], [0.3], 0.3, [0]),                                   # at the threshold
        ([[0, 0, 10, 10]], [0.3], 0.31, []),
        ([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]], [0.9, 0.2, 0.5], 0.4, [0, 2]),
        # a tile fragment inside a larger box goes, whatever its score
        ([[100, 100, 300, 160], [100, 100, 180, 160]], [0.6, 0.9], 0.1, [0]),
        ([[100, 100, 300, 160], [250, 110, 290, 150]], [0.9, 0.2], 0.1, [0]),
        # ... but only when the larger box itself passes the threshold
        ([[100, 100, 300, 160], [100, 100, 180, 160]], [0.05, 0.9], 0.1, [1]),
        # overlapping less than FRAGMENT_SHARE: two plates, both kept
        ([[100, 100, 300, 160], [260, 100, 360, 160]], [0.9, 0.8], 0.1, [0, 1]),
        # a zero-area box is inside nothing
        ([[100, 100, 300, 160], [150, 120, 150, 140]], [0.9, 0.8], 0.1, [0, 1]),
    ],
)
def test_select(boxes, scores, conf, expected_kept):
    det = make_detections(boxes, scores)
    kept = select(det, conf)
    assert kept.xyxy.tolist() == [boxes[i] for i in expected_kept]


def test_select_fragment_share_edge():
    big = [0, 0, 100, 40]
    inside_px = 20 * FRAGMENT_SHARE                       # of a 20 px wide box
    at_share = [100 - inside_px, 10, 120 - inside_px, 18]
    assert len(select(make_detections([big, at_share], [0.9, 0.9]), 0.1)) == 1
    below_share = [101 - inside_px, 10, 121 - inside_px, 18]
    assert len(select(make_detections([big, below_share], [0.9, 0.9]), 0.1)) == 2


# --- render ----------------------------------------------------------------------------------

def test_render_without_detections_changes_nothing():
    frame = noise_frame(64, 48)
    out = render(frame, Detections.empty(), Settings())
    np.testing.assert_array_equal(out.image, frame)
    assert out.regions.shape == (0, 4)
    assert len(out.detections) == 0


@pytest.mark.parametrize("mode", ["blur", "pixelate", "fill"])
def test_render_obscures_a_copy_inside_padded_regions_only(mode):
    frame = noise_frame(400, 300, seed=9)
    original = frame.copy()
    det = make_detections([[100, 100, 200, 140], [0, 280, 50, 300], [350.5, 0, 400, 10.2]], [0.9, 0.5, 0.3])
    out = render(frame, det, Settings(mode=mode, pad=0.1, min_pad_px=2.0))
    np.testing.assert_array_equal(frame, original)                              # input untouched
    assert out.regions.tolist() == [[90, 96, 210, 144], [0, 278, 55, 300], [345, 0, 400, 13]]
    keep = outside_mask((300, 400), out.regions)
    np.testing.assert_array_equal(out.image[keep], original[keep])
    for x1, y1, x2, y2 in out.regions:
        assert not np.array_equal(out.image[y1:y2, x1:x2], original[y1:y2, x1:x2])
    if mode == "fill":
        assert (out.image[~keep] == 0).all()


@pytest.mark.parametrize(
    ("conf", "expected_regions"),
    [(0.1, 3), (0.4, 2), (0.6, 1), (0.9, 0)],
)
def test_render_applies_the_threshold(conf, expected_regions):
    det = make_detections([[10, 10, 30, 20], [50, 50, 80, 60], [100, 10, 140, 30]], [0.85, 0.5, 0.2])
    out = render(noise_frame(200, 100), det, Settings(conf=conf))
    assert len(out.regions) == expected_regions == len(out.detections)
    assert (out.detections.confidence >= conf).all()


@pytest.mark.parametrize(
    ("pad", "expected_region"),
    [
        (0.0, [398, 298, 502, 332]),            # min_pad_px still applies
        (0.25, [375, 292, 525, 338]),
        (0.5, [350, 285, 550, 345]),
        (0.6, [340, 282, 560, 348]),            # the widest the settings allow
    ],
)
def test_render_pad_grows_regions(pad, expected_region):
    det = make_detections([[400, 300, 500, 330]], [0.9])
    settings = Settings(pad=pad, min_pad_px=2.0)
    assert render(make_frame(1000, 800), det, settings).regions.tolist() == [expected_region]


@pytest.mark.parametrize(
    ("frame_wh", "box", "expected_region"),
    [
        ((1, 1), [0, 0, 1, 1], [0, 0, 1, 1]),
        ((1, 1), [-3, -3, 5, 5], [0, 0, 1, 1]),
        ((10000, 100), [9900, 80, 10000, 100], [9885, 77, 10000, 100]),
        ((10000, 100), [0, 0, 50, 10], [0, 0, 58, 12]),
        ((100, 10000), [10, 5000, 90, 5020], [0, 4997, 100, 5023]),
        ((50, 50), [20, 20, 20, 30], [18, 18, 22, 32]),              # zero width: min_pad_px still hides it
        ((50, 50), [60, 60, 70, 70], None),                          # outside: no region
    ],
)
def test_render_extreme_frames_and_boxes(frame_wh, box, expected_region):
    w, h = frame_wh
    frame = noise_frame(w, h, seed=w)
    out = render(frame, make_detections([box], [0.9]), Settings(pad=0.15, min_pad_px=2.0))
    assert out.image.shape == frame.shape and out.image.dtype == np.uint8
    assert out.regions.tolist() == ([expected_region] if expected_region else [])
    keep = outside_mask((h, w), out.regions)
    np.testing.assert_array_equal(out.image[keep], frame[keep])


# --- detect, with a stand-in model -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("frame_wh", "rect"),
    [
        ((1, 1), (0, 0, 1, 1)),
        ((1280, 720), (600, 400, 760, 440)),
        ((416, 416), (0, 380, 60, 416)),                      # at the corner
        ((4000, 3000), (1200, 2000, 1400, 2060)),             # cut by the first tile's right edge
        ((4000, 3000), (3800, 2940, 4000, 3000)),             # the far corner
        ((10000, 100), (7000, 30, 7150, 60)),
        ((100, 10000), (30, 9000, 70, 9030)),
        ((37, 1001), (5, 500, 30, 510)),
    ],
)
def test_detect_maps_a_drawn_plate_back_to_source_pixels(frame_wh, rect):
    w, h = frame_wh
    frame = make_frame(w, h)
    x1, y1, x2, y2 = rect
    frame[y1:y2, x1:x2] = 255
    model = BrightBoxModel()
    settings = Settings()
    det = detect(frame, model, INPUT_WH, settings)
    assert len(model.calls) == len(plan_windows((w, h), INPUT_WH, settings.max_downscale))
    out = render(frame, det, settings)
    assert len(out.detections) == 1, out.detections.to_rows()       # fragments and duplicates gone
    # overlapping views merge into their union: it holds the plate and is at most ~1 model pixel
    # of the coarsest view too large, in source pixels
    coarsest = min(min(INPUT_WH[0] / (wx2 - wx1), INPUT_WH[1] / (wy2 - wy1))
                   for wx1, wy1, wx2, wy2 in plan_windows((w, h), INPUT_WH, settings.max_downscale))
    finest = max(min(INPUT_WH[0] / (wx2 - wx1), INPUT_WH[1] / (wy2 - wy1))
                 for wx1, wy1, wx2, wy2 in plan_windows((w, h), INPUT_WH, settings.max_downscale))
    box, slack = out.detections.xyxy[0], 1 / finest + 0.5
    np.testing.assert_allclose(box, rect, atol=1 / coarsest + 0.5)
    assert (box[:2] <= np.add(rect[:2], slack)).all() and (box[2:] >= np.subtract(rect[2:], slack)).all()
    assert coverage(rect, out.regions, (h, w)) == 1.0
    keep = outside_mask((h, w), out.regions)
    np.testing.assert_array_equal(out.image[keep], frame[keep])


def test_a_plate_cut_by_a_tile_edge_is_hidden_whole():
    """A tile that sees 70 % of a plate (cut by its edge) may score that part higher than the views
    that see it whole; the whole plate must still be hidden, not just the part."""
    w, h = 4000, 3000
    jobs = prepare(make_frame(w, h), INPUT_WH, 2.0)
    windows = plan_windows((w, h), INPUT_WH, 2.0)
    plate = (1140, 2000, 1340, 2060)                   # the first tile column ends at x = 1280
    per_job = {}
    for i, (job, window) in enumerate(zip(jobs, windows)):
        seen = (max(plate[0], window[0]), max(plate[1], window[1]), min(plate[2], window[2]), min(plate[3], window[3]))
        if seen[0] >= seen[2] or seen[1] >= seen[3]:
            continue
        whole = seen == plate
        (sx, sy), (px, py), (ox, oy) = job.letterbox.scale_xy, job.letterbox.pad_xy, job.letterbox.origin_xy
        per_job[i] = [((seen[0] - ox) * sx + px, (seen[1] - oy) * sy + py, (seen[2] - ox) * sx + px,
                       (seen[3] - oy) * sy + py, 0.8 if whole else 0.85)]
    assert sum(1 for i in per_job if per_job[i][0][4] == 0.85) == 2          # two tiles see the cut plate
    out = render(make_frame(w, h), finish(_outputs_for(jobs, per_job), jobs, Settings().iou), Settings())
    assert coverage(plate, out.regions, (h, w)) == 1.0, out.regions.tolist()


def test_detect_on_a_frame_without_plates():
    model = BrightBoxModel()
    det = detect(make_frame(4000, 3000), model, INPUT_WH, Settings())
    assert len(det) == 0
    assert len(model.calls) == 13


@pytest.mark.parametrize("mode", ["blur", "pixelate", "fill"])
def test_obscured_patches_match_render_inside_the_regions(mode):
    """Streams get only the regions' pixels, obscured exactly as a whole-frame render would."""
    from plateblur.pipeline import obscured_patches, unpack_patches

    frame = noise_frame(200, 120, seed=3)
    kept = make_detections([[20, 30, 80, 50], [150, 90, 199, 119]], [0.9, 0.8])
    settings = Settings(mode=mode)
    regions, packed = obscured_patches(frame, kept, settings)
    rendered = render(frame, kept, settings)
    np.testing.assert_array_equal(regions, rendered.regions)
    assert packed.dtype == np.uint8 and packed.ndim == 1
    assert packed.size == sum((x2 - x1) * (y2 - y1) * 4 for x1, y1, x2, y2 in regions.tolist())
    patches = unpack_patches(regions, packed)
    for (x1, y1, x2, y2), patch in zip(regions, patches):
        assert patch.shape == (y2 - y1, x2 - x1, 4) and (patch[:, :, 3] == 255).all()
        np.testing.assert_array_equal(patch[:, :, :3], rendered.image[y1:y2, x1:x2])


class UprightOnlyModel(BrightBoxModel):
    """Like the real detector with a sideways plate: blind to a bright box taller than it is wide."""

    def __call__(self, tensor):
        bright = (tensor[0] > 0.5).all(axis=0)
        if bright.any():
            ys, xs = np.flatnonzero(bright.any(axis=1)), np.flatnonzero(bright.any(axis=0))
            if ys[-1] - ys[0] > xs[-1] - xs[0]:
                self.calls.append(tensor.shape)
                return yolo_output([], self.n_anchors)
        return super().__call__(tensor)


@pytest.mark.parametrize("turns", [1, 3])
def test_the_thorough_search_finds_a_sideways_plate_and_maps_it_back(turns):
    frame = make_frame(400, 300, 20)
    frame[60:140, 250:275] = 230                          # a plate standing on its side: 25 x 80
    sideways = Settings(conf=0.3)
    assert len(select(detect(frame, UprightOnlyModel(), INPUT_WH, sideways), 0.3)) == 0
    model = UprightOnlyModel()
    found = select(detect(frame, model, INPUT_WH, sideways.updated(thorough=True)), 0.3)
    assert len(model.calls) == 3                          # as it is, and a quarter turn each way
    assert len(found) == 1
    np.testing.assert_allclose(found.xyxy[0], [250, 60, 275, 140], atol=2)


def test_the_thorough_search_keeps_an_upright_plate_where_it_is():
    frame = make_frame(400, 300, 20)
    frame[200:225, 40:120] = 230
    plain = select(detect(frame, BrightBoxModel(), INPUT_WH, Settings()), 0.1)
    thorough = select(detect(frame, BrightBoxModel(), INPUT_WH, Settings(thorough=True)), 0.1)
    assert len(plain) == len(thorough) == 1
    np.testing.assert_allclose(thorough.xyxy, plain.xyxy, atol=1)


def test_turns_must_start_with_the_frame_as_it_is():
    with pytest.raises(ValueError, match="turns must start with 0"):
        prepare(make_frame(64, 64), INPUT_WH, 2.0, (1, 0))


# --- rectangular input (a model with dynamic height and width) ----------------------------------------

@pytest.mark.parametrize(
    ("frame_wh", "input_shapes"),
    [
        ((1280, 720), {(1, 3, 384, 640)}),                  # 16:9 video: 40 % fewer pixels than 640x640
        ((720, 1280), {(1, 3, 640, 384)}),
        ((4000, 3000), {(1, 3, 480, 640)}),                 # the whole photo and every tile
    ],
)
def test_detect_runs_a_dynamic_model_at_the_frames_aspect_tiles_included(frame_wh, input_shapes):
    model = BrightBoxModel()
    detect(make_frame(*frame_wh), model, INPUT_WH, Settings(), dynamic=True)
    assert set(model.calls) == input_shapes
    fixed = BrightBoxModel()
    detect(make_frame(*frame_wh), fixed, INPUT_WH, Settings())
    assert set(fixed.calls) == {(1, 3, 640, 640)}


@pytest.mark.parametrize("frame_wh, rect", [((1280, 720), (600, 500, 690, 530)), ((4000, 3000), (3000, 2500, 3060, 2520)),
                                             ((720, 1280), (100, 1200, 190, 1230))])
def test_a_dynamic_model_finds_the_same_plate_as_a_fixed_one(frame_wh, rect):
    frame = make_frame(*frame_wh)
    x1, y1, x2, y2 = rect
    frame[y1:y2, x1:x2] = 255
    square = detect(frame, BrightBoxModel(), INPUT_WH, Settings())
    rectangular = detect(frame, BrightBoxModel(), INPUT_WH, Settings(), dynamic=True)
    assert len(rectangular) == len(square) >= 1
    np.testing.assert_allclose(rectangular.xyxy, square.xyxy, atol=2)
