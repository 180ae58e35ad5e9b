from contextlib import nullcontext as does_not_raise

import numpy as np
import pytest

from plateblur.detections import Detections
from tests.support.helpers import make_detections


@pytest.mark.parametrize(
    ("xyxy", "confidence", "tracker_id", "expected_len", "exception"),
    [
        (np.zeros((0, 4)), np.zeros(0), None, 0, does_not_raise()),
        ([[0, 0, 10, 10]], [0.5], None, 1, does_not_raise()),
        ([[0, 0, 10, 10], [5, 5, 20, 20]], [0.5, 0.7], [3, 4], 2, does_not_raise()),
        (np.zeros((3, 4), np.float64), np.zeros(3, np.float64), None, 3, does_not_raise()),
        ([[0, 0, 10, 10]], [0.5, 0.6], None, None, pytest.raises(ValueError, match="confidence")),
        ([[0, 0, 10, 10], [1, 1, 2, 2]], [0.5], None, None, pytest.raises(ValueError, match="confidence")),
        ([[0, 0, 10, 10]], [0.5], [1, 2], None, pytest.raises(ValueError, match="tracker_id")),
        (np.zeros((3, 5)), np.zeros(3), None, None, pytest.raises(ValueError)),
        # (N, 4) is the contract: other shapes must not be silently re-read as boxes
        pytest.param(np.zeros((2, 2)), np.zeros(1), None, None, pytest.raises(ValueError), id="xyxy-2x2"),
        pytest.param(np.zeros((1, 8)), np.zeros(2), None, None, pytest.raises(ValueError), id="xyxy-1x8"),
    ],
)
def test_construction_validates(xyxy, confidence, tracker_id, expected_len, exception):
    with exception:
        det = Detections(xyxy, confidence, tracker_id)
    if expected_len is not None:
        assert len(det) == expected_len
        assert det.xyxy.shape == (expected_len, 4)
        assert det.xyxy.dtype == np.float32
        assert det.confidence.shape == (expected_len,)
        assert det.confidence.dtype == np.float32
        if tracker_id is not None:
            assert det.tracker_id.dtype == np.int64
            assert det.tracker_id.tolist() == list(tracker_id)


def test_empty_has_typed_shapes():
    det = Detections.empty()
    assert len(det) == 0
    assert det.xyxy.shape == (0, 4) and det.xyxy.dtype == np.float32
    assert det.confidence.shape == (0,) and det.confidence.dtype == np.float32
    assert det.tracker_id is None
    assert det.to_rows() == []


@pytest.mark.parametrize(
    ("parts", "expected_boxes"),
    [
        ([], []),
        ([Detections.empty(), Detections.empty()], []),
        ([make_detections([[0, 0, 1, 1]])], [[0, 0, 1, 1]]),
        ([make_detections([[0, 0, 1, 1]]), Detections.empty(), make_detections([[2, 2, 3, 3], [4, 4, 5, 5]])],
         [[0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 5, 5]]),
    ],
)
def test_merge_concatenates_in_order(parts, expected_boxes):
    merged = Detections.merge(parts)
    assert merged.xyxy.reshape(-1, 4).tolist() == expected_boxes
    expected_scores = np.concatenate([p.confidence for p in parts] or [np.zeros(0, np.float32)])
    np.testing.assert_array_equal(merged.confidence, expected_scores)


BOXES = [[0, 0, 10, 10], [10, 10, 20, 20], [20, 20, 30, 30], [30, 30, 40, 40]]


@pytest.mark.parametrize(
    ("index", "expected_rows"),
    [
        (0, [0]),
        (-1, [3]),
        (np.int64(2), [2]),
        (slice(1, 3), [1, 2]),
        (np.array([3, 0]), [3, 0]),
        (np.array([True, False, True, False]), [0, 2]),
        (np.zeros(4, bool), []),
    ],
)
def test_getitem_returns_detections(index, expected_rows):
    det = make_detections(BOXES, [0.1, 0.2, 0.3, 0.4], tracker_id=[10, 11, 12, 13])
    sub = det[index]
    assert isinstance(sub, Detections)
    assert sub.xyxy.tolist() == [BOXES[i] for i in expected_rows]
    np.testing.assert_allclose(sub.confidence, [0.1 * (i + 1) for i in expected_rows], rtol=1e-6)
    assert sub.tracker_id.tolist() == [10 + i for i in expected_rows]


def test_mask_filter_by_confidence():
    det = make_detections(BOXES, [0.1, 0.6, 0.3, 0.9])
    kept = det[det.confidence > 0.5]
    assert kept.xyxy.tolist() == [BOXES[1], BOXES[3]]


def test_to_rows_is_json_ready_and_rounded():
    det = make_detections([[1.04, 2.06, 3.5, 4.449]], [0.123456])
    rows = det.to_rows()
    assert rows == [[1.0, 2.1, 3.5, 4.4, 0.1235]]
    assert all(type(v) is float for v in rows[0])
    assert det.to_rows(decimals=2)[0][:4] == [1.04, 2.06, 3.5, 4.45]
