import numpy as np
import pytest

from plateblur.preprocess import PAD_VALUE, Letterbox, input_for, letterbox, resize
from plateblur.tiling import plan_windows
from tests.support.helpers import make_frame, noise_frame

GREY = PAD_VALUE / 255


# --- resize ---------------------------------------------------------------------------------------

def test_resize_same_size_is_unchanged():
    frame = noise_frame(7, 5)
    np.testing.assert_array_equal(resize(frame, (7, 5)), frame)


@pytest.mark.parametrize("size_wh", [(1, 1), (3, 2), (640, 360), (13, 400), (2000, 1)])
def test_resize_shapes_and_constant_colour(size_wh):
    frame = make_frame(37, 23, 77)
    out = resize(frame, size_wh)
    assert out.shape == (size_wh[1], size_wh[0], 3)
    assert out.dtype == np.uint8
    assert (out == 77).all()


def test_resize_uses_half_pixel_centres():
    # 2 px -> 4 px: samples at -0.25 (clamped), 0.25, 0.75, 1.25 (clamped), as OpenCV INTER_LINEAR
    row = np.array([[[0, 0, 0], [255, 255, 255]]], np.uint8)
    out = resize(row, (4, 1))
    assert out[0, :, 0].tolist() == [0, 64, 191, 255]


def test_resize_keeps_an_edge_in_place():
    frame = make_frame(10, 10)
    frame[:, 5:] = 255
    out = resize(frame, (5, 5))[..., 0]
    assert (out == out[0]).all()
    assert out[0].tolist() == [0, 0, 128, 255, 255]


def test_resize_smooths_when_shrinking():
    """Fine detail averages out instead of aliasing: a 1 px checkerboard shrunk 4 times is grey."""
    board = ((np.indices((64, 64)).sum(axis=0) % 2) * 255).astype(np.uint8)
    out = resize(np.repeat(board[:, :, None], 3, axis=2), (16, 16))
    assert np.abs(out[2:-2, 2:-2].astype(int) - 128).max() <= 2


def test_resize_1x1_source():
    out = resize(np.array([[[10, 20, 30]]], np.uint8), (5, 4))
    assert out.shape == (4, 5, 3)
    assert (out == [10, 20, 30]).all()


# --- letterbox -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("frame_wh", "input_wh", "content_wh", "pad_xy"),
    [
        ((640, 640), (640, 640), (640, 640), (0, 0)),
        ((1280, 720), (640, 640), (640, 360), (0, 140)),
        ((720, 1280), (640, 640), (360, 640), (140, 0)),
        ((416, 416), (640, 640), (640, 640), (0, 0)),           # upscaled
        ((1, 1), (640, 640), (640, 640), (0, 0)),
        ((10000, 100), (640, 640), (640, 6), (0, 317)),
        ((100, 10000), (640, 640), (6, 640), (317, 0)),
        ((20000, 1), (640, 640), (640, 1), (0, 319)),          # never less than one pixel
        ((1280, 720), (320, 192), (320, 180), (0, 6)),          # non-square input
    ],
)
def test_letterbox_shapes_and_padding(frame_wh, input_wh, content_wh, pad_xy):
    w, h = frame_wh
    tensor, box = letterbox(make_frame(w, h, 255), input_wh)
    in_w, in_h = input_wh
    assert tensor.shape == (1, 3, in_h, in_w)
    assert tensor.dtype == np.float32
    assert box.pad_xy == pad_xy
    assert box.source_wh == (w, h)
    assert box.origin_xy == (0, 0)
    cw, ch = content_wh
    assert box.scale_xy == pytest.approx((cw / w, ch / h))
    left, top = pad_xy
    content = np.zeros((in_h, in_w), bool)
    content[top:top + ch, left:left + cw] = True
    image = tensor[0]
    assert (image[:, content] == 1.0).all()                          # the white frame
    np.testing.assert_allclose(image[:, ~content], GREY, atol=1e-6)  # the grey border


def test_letterbox_keeps_channel_order_and_range():
    frame = make_frame(64, 32)
    frame[..., 0], frame[..., 1], frame[..., 2] = 255, 128, 0
    tensor, _ = letterbox(frame, (64, 64))
    centre = tensor[0, :, 32, 32]
    np.testing.assert_allclose(centre, [1.0, 128 / 255, 0.0], atol=1e-6)
    assert tensor.min() >= 0 and tensor.max() <= 1


def _source_to_input(box: Letterbox, xyxy: np.ndarray) -> np.ndarray:
    """Forward mapping written out from the Letterbox's documented fields."""
    (sx, sy), (px, py), (ox, oy) = box.scale_xy, box.pad_xy, box.origin_xy
    xyxy = np.asarray(xyxy, np.float64)
    return np.stack([(xyxy[:, 0] - ox) * sx + px, (xyxy[:, 1] - oy) * sy + py,
                     (xyxy[:, 2] - ox) * sx + px, (xyxy[:, 3] - oy) * sy + py], axis=1)


def _boxes_in(w: int, h: int, origin=(0, 0), seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 0.7, (20, 2)) * (w, h)
    wh = rng.uniform(0.01, 0.3, (20, 2)) * (w, h)
    boxes = np.concatenate([xy, np.minimum(xy + wh, (w, h))], axis=1)
    boxes[0] = (0, 0, w, h)                                    # the whole window, edges included
    return boxes + np.tile(origin, 2)


@pytest.mark.parametrize(
    "frame_wh",
    [(1280, 720), (720, 1280), (416, 416), (4000, 3000), (3000, 4000), (10000, 100), (100, 10000),
     (1, 1), (37, 1001), (641, 639)],
)
def test_letterbox_round_trip(frame_wh):
    w, h = frame_wh
    _, box = letterbox(make_frame(w, h), (640, 640))
    source = _boxes_in(w, h)
    back = box.to_source(_source_to_input(box, source))
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, source, atol=0.5)


def test_letterbox_round_trip_through_tile_windows():
    w, h = 4000, 3000
    frame = make_frame(w, h)
    windows = plan_windows((w, h), (640, 640), 2.0)
    assert len(windows) > 1
    for x1, y1, x2, y2 in windows:
        _, fitted = letterbox(frame[y1:y2, x1:x2], (640, 640))
        box = Letterbox(fitted.scale_xy, fitted.pad_xy, (w, h), (x1, y1))
        source = _boxes_in(x2 - x1, y2 - y1, origin=(x1, y1), seed=x1 + y1)
        back = box.to_source(_source_to_input(box, source))
        np.testing.assert_allclose(back, source, atol=0.5)
        # the window's content area in the model input maps back onto the window itself
        (sx, sy), (px, py) = fitted.scale_xy, fitted.pad_xy
        content = [[px, py, px + round(sx * (x2 - x1)), py + round(sy * (y2 - y1))]]
        np.testing.assert_allclose(box.to_source(np.array(content, np.float32))[0], [x1, y1, x2, y2], atol=0.5)


@pytest.mark.parametrize(
    ("frame_wh", "rect"),
    [
        ((1280, 720), (400, 300, 700, 420)),
        ((720, 1280), (100, 900, 500, 1000)),
        ((416, 416), (40, 180, 70, 200)),
        ((3000, 800), (0, 700, 600, 800)),                      # at the image corner
        ((10000, 100), (5000, 0, 7000, 100)),
    ],
)
def test_letterbox_places_content_where_its_mapping_says(frame_wh, rect):
    """Draw a white rectangle, find it in the model input, map it back: the scale/pad must
    describe where the pixels really went (within a model pixel)."""
    w, h = frame_wh
    frame = make_frame(w, h)
    x1, y1, x2, y2 = rect
    frame[y1:y2, x1:x2] = 255
    tensor, box = letterbox(frame, (640, 640))
    bright = (tensor[0] > 0.5).all(axis=0)
    ys, xs = np.flatnonzero(bright.any(axis=1)), np.flatnonzero(bright.any(axis=0))
    found = np.array([[xs[0], ys[0], xs[-1] + 1, ys[-1] + 1]], np.float32)
    expected = _source_to_input(box, np.array([rect], np.float64))
    np.testing.assert_allclose(found, expected, atol=1.0)
    back = box.to_source(found)[0]
    tolerance = (1.0 / box.scale_xy[0] + 0.5, 1.0 / box.scale_xy[1] + 0.5)
    assert np.all(np.abs(back[[0, 2]] - [x1, x2]) <= tolerance[0])
    assert np.all(np.abs(back[[1, 3]] - [y1, y2]) <= tolerance[1])


def test_to_source_does_not_modify_its_input():
    _, box = letterbox(make_frame(1280, 720), (640, 640))
    boxes = np.array([[10, 150, 20, 160]], np.float32)
    box.to_source(boxes)
    assert boxes.tolist() == [[10, 150, 20, 160]]


def test_to_source_empty():
    _, box = letterbox(make_frame(100, 50), (640, 640))
    assert box.to_source(np.zeros((0, 4), np.float32)).shape == (0, 4)


# --- input_for: the model input for a frame ---------------------------------------------------------

@pytest.mark.parametrize(
    ("frame_wh", "expected"),
    [
        ((1920, 1080), (640, 384)),     # 16:9: 360 rounded up to a multiple of 32
        ((1280, 720), (640, 384)),
        ((1080, 1920), (384, 640)),     # portrait
        ((4000, 3000), (640, 480)),     # 4:3, already a multiple of 32
        ((640, 640), (640, 640)),
        ((300, 200), (640, 448)),       # small photos are scaled up to the long side, as letterboxing does
        ((10000, 100), (640, 32)),      # never below one stride
    ],
)
def test_input_for_a_dynamic_model_keeps_the_frames_aspect(frame_wh, expected):
    assert input_for(frame_wh, (640, 640), dynamic=True) == expected


def test_input_for_a_dynamic_model_at_another_long_side():
    assert input_for((1920, 1080), (480, 480), dynamic=True) == (480, 288)
    assert input_for((1080, 1920), (416, 416), dynamic=True) == (256, 416)


@pytest.mark.parametrize("frame_wh", [(1920, 1080), (1080, 1920), (7, 5)])
def test_input_for_a_fixed_model_is_its_own_input(frame_wh):
    assert input_for(frame_wh, (640, 640), dynamic=False) == (640, 640)


@pytest.mark.parametrize("frame_wh", [(1920, 1080), (1080, 1920), (333, 777), (5000, 17)])
def test_a_frame_fills_its_dynamic_input_on_the_long_side_at_the_square_models_scale(frame_wh):
    """Same scale as letterboxing into the square (the detector sees plates at the same size); the only
    grey left is the rounding of the short side to the stride, less than one stride in all."""
    in_wh = input_for(frame_wh, (640, 640), dynamic=True)
    assert in_wh[0] % 32 == 0 and in_wh[1] % 32 == 0
    _, square = letterbox(make_frame(*frame_wh), (640, 640))
    tensor, box = letterbox(make_frame(*frame_wh), in_wh)
    assert tensor.shape == (1, 3, in_wh[1], in_wh[0])
    assert box.scale_xy == square.scale_xy
    assert 0 <= 2 * max(box.pad_xy) < 32 + 1
