from contextlib import nullcontext as does_not_raise

import numpy as np
import pytest

from plateblur.decode import decode_yolo
from plateblur.preprocess import Letterbox
from tests.support.helpers import xyxy_to_cxcywh, yolo_output

IDENTITY = Letterbox(scale_xy=(1.0, 1.0), pad_xy=(0, 0), source_wh=(640, 640))
# a 1280 x 720 frame in a 640 x 640 input: scale 0.5, 140 px of grey above and below
WIDE = Letterbox(scale_xy=(0.5, 0.5), pad_xy=(0, 140), source_wh=(1280, 720))
# a 1280 x 1280 tile at (2000, 1000) of a larger frame
TILE = Letterbox(scale_xy=(0.5, 0.5), pad_xy=(0, 0), source_wh=(4000, 3000), origin_xy=(2000, 1000))


@pytest.mark.parametrize(
    ("scores", "threshold", "expected_kept"),
    [
        ([0.9, 0.5, 0.1], 0.3, [0, 1]),
        ([0.9, 0.5, 0.1], 0.5, [0, 1]),            # at the threshold: kept
        ([0.9, 0.5, 0.1], 0.51, [0]),
        ([0.9, 0.5, 0.1], 0.05, [0, 1, 2]),
        ([0.9, 0.5, 0.1], 0.95, []),
        ([0.0, 0.0], 0.05, []),
    ],
)
def test_threshold(scores, threshold, expected_kept):
    rows = [(100 + 50 * i, 100, 20, 10, s) for i, s in enumerate(scores)]
    det = decode_yolo(yolo_output(rows), IDENTITY, threshold)
    assert len(det) == len(expected_kept)
    np.testing.assert_allclose(det.confidence, [scores[i] for i in expected_kept])
    np.testing.assert_allclose(det.xyxy[:, 0], [90 + 50 * i for i in expected_kept])


@pytest.mark.parametrize(
    ("letterbox", "input_box", "source_box"),
    [
        (IDENTITY, (100, 200, 160, 220), (100, 200, 160, 220)),
        (WIDE, (100, 200, 160, 220), (200, 120, 320, 160)),
        (WIDE, (0, 140, 640, 500), (0, 0, 1280, 720)),          # the whole content area
        (TILE, (10, 20, 30, 40), (2020, 1040, 2060, 1080)),
        (Letterbox((0.064, 0.06), (0, 317), (10000, 100)), (320, 317, 448, 323), (5000, 0, 7000, 100)),
    ],
)
def test_mapping_to_source_pixels(letterbox, input_box, source_box):
    det = decode_yolo(yolo_output([(*xyxy_to_cxcywh(input_box), 0.8)]), letterbox, 0.25)
    assert len(det) == 1
    np.testing.assert_allclose(det.xyxy[0], source_box, atol=1e-3)
    assert det.confidence[0] == pytest.approx(0.8)


def test_accepts_unbatched_output_and_realistic_anchor_count():
    rows = [(320, 320, 64, 20, 0.7), (100, 100, 10, 10, 0.2)]
    batched = decode_yolo(yolo_output(rows, 8400), WIDE, 0.1)
    unbatched = decode_yolo(yolo_output(rows, 8400, batch=False), WIDE, 0.1)
    assert len(batched) == 2
    np.testing.assert_array_equal(batched.xyxy, unbatched.xyxy)
    np.testing.assert_array_equal(batched.confidence, unbatched.confidence)


def test_no_anchors_gives_empty_detections():
    det = decode_yolo(np.zeros((1, 5, 0), np.float32), IDENTITY, 0.1)
    assert len(det) == 0 and det.xyxy.shape == (0, 4)


@pytest.mark.parametrize(
    ("shape", "exception"),
    [
        ((1, 5, 8400), does_not_raise()),
        ((5, 8400), does_not_raise()),
        ((1, 5, 1), does_not_raise()),
        ((1, 6, 8400), pytest.raises(ValueError, match="shape")),     # two classes
        ((1, 8400, 5), pytest.raises(ValueError, match="shape")),     # transposed
        ((8400, 5), pytest.raises(ValueError, match="shape")),
        ((1, 4, 8400), pytest.raises(ValueError, match="shape")),
        ((5,), pytest.raises(ValueError, match="shape")),
        ((1, 1, 5, 8400), pytest.raises(ValueError, match="shape")),
        # a batch is not one image: the second image's boxes must not be dropped silently
        pytest.param((2, 5, 8400), pytest.raises(ValueError, match="shape"), id="batch-of-2"),
        pytest.param((0, 5, 8400), pytest.raises(ValueError, match="shape"), id="batch-of-0"),
    ],
)
def test_output_shape(shape, exception):
    output = np.zeros(shape, np.float32)
    with exception:
        det = decode_yolo(output, IDENTITY, 0.1)
    if isinstance(exception, does_not_raise):
        assert len(det) == 0
