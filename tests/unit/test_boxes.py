import numpy as np
import pytest

from plateblur.boxes import (
    box_area, box_iou_batch, clip_boxes, contained_in_other, nms_keep, nms_union, pad_boxes, to_pixel_regions,
)


@pytest.mark.parametrize(
    ("boxes", "resolution_wh", "expected"),
    [
        ([[10, 20, 30, 40]], (100, 50), [[10, 20, 30, 40]]),
        ([[-5, -5, 30, 40]], (100, 50), [[0, 0, 30, 40]]),
        ([[90, 40, 120, 60]], (100, 50), [[90, 40, 100, 50]]),
        ([[0, 0, 100, 50]], (100, 50), [[0, 0, 100, 50]]),                  # exactly the image
        ([[-10, -10, 200, 200]], (100, 50), [[0, 0, 100, 50]]),
        ([[150, 60, 170, 80]], (100, 50), [[100, 50, 100, 50]]),            # wholly outside
        (np.zeros((0, 4)), (100, 50), np.zeros((0, 4))),
    ],
)
def test_clip_boxes(boxes, resolution_wh, expected):
    out = clip_boxes(np.asarray(boxes, np.float32), resolution_wh)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.asarray(expected, np.float32).reshape(-1, 4))


def test_clip_boxes_does_not_modify_its_input():
    boxes = np.array([[-5, -5, 300, 300]], np.float32)
    clip_boxes(boxes, (100, 100))
    assert boxes.tolist() == [[-5, -5, 300, 300]]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([[0, 0, 10, 10]], [[0, 0, 10, 10]], [[1.0]]),
        ([[0, 0, 10, 10]], [[10, 0, 20, 10]], [[0.0]]),                     # touching edges
        ([[0, 0, 10, 10]], [[5, 0, 15, 10]], [[50 / 150]]),
        ([[0, 0, 10, 10]], [[0, 0, 10, 5]], [[0.5]]),
        ([[0, 0, 10, 10]], [[2, 2, 4, 4]], [[4 / 100]]),                    # contained
        ([[5, 5, 5, 5]], [[5, 5, 5, 5]], [[0.0]]),                          # zero area, no NaN
        ([[5, 5, 5, 9]], [[0, 0, 10, 10]], [[0.0]]),                        # zero-width line
        ([[0, 0, 10, 10], [20, 20, 30, 30]], [[0, 0, 10, 10], [25, 20, 35, 30], [100, 100, 101, 101]],
         [[1.0, 0.0, 0.0], [0.0, 50 / 150, 0.0]]),
    ],
)
def test_box_iou_batch(a, b, expected):
    iou = box_iou_batch(np.asarray(a, np.float32), np.asarray(b, np.float32))
    assert iou.shape == (len(a), len(b))
    assert np.isfinite(iou).all()
    np.testing.assert_allclose(iou, expected, atol=1e-6)


@pytest.mark.parametrize(("n_a", "n_b"), [(0, 0), (0, 3), (2, 0)])
def test_box_iou_batch_empty_shapes(n_a, n_b):
    assert box_iou_batch(np.zeros((n_a, 4)), np.ones((n_b, 4))).shape == (n_a, n_b)


def test_box_area_ignores_inverted_boxes():
    np.testing.assert_array_equal(box_area([[0, 0, 4, 5], [4, 5, 0, 0], [1, 1, 1, 3]]), [20, 0, 0])


@pytest.mark.parametrize(
    ("boxes", "scores", "iou_threshold", "expected_keep"),
    [
        # no boxes, one box
        (np.zeros((0, 4)), [], 0.5, []),
        ([[0, 0, 10, 10]], [0.3], 0.5, [0]),
        # overlapping: the best survives, whatever the input order
        ([[0, 0, 10, 10], [1, 1, 11, 11]], [0.6, 0.9], 0.5, [1]),
        ([[1, 1, 11, 11], [0, 0, 10, 10]], [0.6, 0.9], 0.5, [1]),
        # disjoint: all kept, best score first
        ([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]], [0.2, 0.9, 0.5], 0.5, [1, 2, 0]),
        # IoU exactly at the threshold is kept; just above it is suppressed
        ([[0, 0, 10, 10], [0, 0, 10, 5]], [0.9, 0.8], 0.5, [0, 1]),
        ([[0, 0, 10, 10], [0, 0, 10, 5]], [0.9, 0.8], 0.49, [0]),
        # greedy: A suppresses B, so C (overlapping B only) survives
        ([[0, 0, 10, 10], [4, 0, 14, 10], [8, 0, 18, 10]], [0.9, 0.8, 0.7], 0.3, [0, 2]),
        # equal scores: input order decides
        ([[0, 0, 10, 10], [1, 1, 11, 11]], [0.5, 0.5], 0.5, [0]),
        # identical boxes at threshold 1: nothing overlaps "more than" 1
        ([[0, 0, 10, 10], [0, 0, 10, 10]], [0.5, 0.6], 1.0, [1, 0]),
        # zero-area boxes never suppress anything
        ([[5, 5, 5, 5], [0, 0, 10, 10]], [0.9, 0.8], 0.5, [0, 1]),
    ],
)
def test_nms_keep(boxes, scores, iou_threshold, expected_keep):
    keep = nms_keep(np.asarray(boxes, np.float32), np.asarray(scores, np.float32), iou_threshold)
    assert keep.dtype == np.int64
    assert keep.tolist() == expected_keep


def test_nms_keep_many_random_boxes_leaves_no_overlap_above_threshold():
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 200, (300, 2))
    wh = rng.uniform(5, 40, (300, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
    scores = rng.uniform(0, 1, 300).astype(np.float32)
    keep = nms_keep(boxes, scores, 0.4)
    iou = box_iou_batch(boxes[keep], boxes[keep])
    np.fill_diagonal(iou, 0)
    assert iou.max() <= 0.4
    assert np.all(np.diff(scores[keep]) <= 0)                      # best score first
    dropped = np.setdiff1d(np.arange(300), keep)
    # every dropped box overlaps a kept box that scores at least as high by more than the threshold
    for i in dropped:
        over = box_iou_batch(boxes[i:i + 1], boxes[keep])[0] > 0.4
        assert over.any() and scores[keep][over].max() >= scores[i]


@pytest.mark.parametrize(
    ("boxes", "min_share", "expected"),
    [
        (np.zeros((0, 4)), 0.8, []),
        ([[0, 0, 10, 10]], 0.8, [False]),
        ([[0, 0, 100, 40], [10, 10, 30, 30]], 0.8, [False, True]),          # fully inside
        ([[0, 0, 100, 40], [90, 10, 110, 30]], 0.8, [False, False]),        # half inside
        ([[0, 0, 100, 40], [84, 10, 104, 30]], 0.8, [False, True]),         # 80 % inside: at the edge
        ([[0, 0, 100, 40], [85, 10, 105, 30]], 0.8, [False, False]),        # 75 % inside
        ([[0, 0, 10, 10], [0, 0, 10, 10]], 0.8, [False, False]),            # equal: neither is larger
        ([[0, 0, 100, 40], [10, 10, 10, 30]], 0.8, [False, False]),         # zero area: no share
        ([[0, 0, 100, 100], [10, 10, 60, 60], [20, 20, 30, 30]], 0.8, [False, True, True]),
    ],
)
def test_contained_in_other(boxes, min_share, expected):
    assert contained_in_other(np.asarray(boxes, np.float32), min_share).tolist() == expected


@pytest.mark.parametrize(
    ("boxes", "pad", "min_pad_px", "resolution_wh", "expected"),
    [
        ([[100, 100, 200, 140]], 0.0, 0.0, (1000, 1000), [[100, 100, 200, 140]]),
        ([[100, 100, 200, 140]], 0.1, 0.0, (1000, 1000), [[90, 96, 210, 144]]),
        ([[100, 100, 200, 140]], 0.5, 0.0, (1000, 1000), [[50, 80, 250, 160]]),
        ([[100, 100, 200, 140]], 0.0, 5.0, (1000, 1000), [[95, 95, 205, 145]]),   # the minimum applies
        ([[100, 100, 200, 140]], 0.1, 5.0, (1000, 1000), [[90, 95, 210, 145]]),   # per axis
        ([[0, 0, 50, 20]], 0.2, 0.0, (60, 22), [[0, 0, 60, 22]]),                 # clipped at edges
        ([[10, 10, 10, 10]], 0.5, 2.0, (100, 100), [[8, 8, 12, 12]]),             # zero area grows
        (np.zeros((0, 4)), 0.5, 2.0, (100, 100), np.zeros((0, 4))),
    ],
)
def test_pad_boxes(boxes, pad, min_pad_px, resolution_wh, expected):
    out = pad_boxes(np.asarray(boxes, np.float32), pad, min_pad_px, resolution_wh)
    np.testing.assert_allclose(out, np.asarray(expected, np.float32).reshape(-1, 4), atol=1e-4)


@pytest.mark.parametrize(
    ("boxes", "resolution_wh", "expected"),
    [
        ([[10.2, 20.7, 30.1, 40.0]], (100, 100), [[10, 20, 31, 40]]),       # floor / ceil: covers all
        ([[-3.5, -1, 5.5, 4]], (100, 100), [[0, 0, 6, 4]]),
        ([[95.5, 95.5, 130, 130]], (100, 100), [[95, 95, 100, 100]]),
        ([[99.2, 0, 100, 1]], (100, 100), [[99, 0, 100, 1]]),               # 1 px at the right edge
        ([[0, 0, 1, 1]], (1, 1), [[0, 0, 1, 1]]),                           # 1 x 1 image
        ([[10, 10, 10, 20]], (100, 100), []),                               # zero width: dropped
        ([[10, 10, 20, 10]], (100, 100), []),                               # zero height: dropped
        ([[120, 10, 130, 20]], (100, 100), []),                             # outside: dropped
        ([[-20, -20, -10, -10]], (100, 100), []),
        ([[10, 10, 20, 10], [1, 1, 2, 2]], (100, 100), [[1, 1, 2, 2]]),     # only the empty one goes
        (np.zeros((0, 4)), (100, 100), []),
    ],
)
def test_to_pixel_regions(boxes, resolution_wh, expected):
    regions = to_pixel_regions(np.asarray(boxes, np.float32), resolution_wh)
    assert regions.dtype == np.int32
    assert regions.shape == (len(expected), 4)
    assert regions.tolist() == expected


def test_to_pixel_regions_cover_their_boxes():
    rng = np.random.default_rng(3)
    xy = rng.uniform(-20, 120, (200, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(0.1, 30, (200, 2))], axis=1).astype(np.float32)
    regions = to_pixel_regions(boxes, (100, 80))
    clipped = clip_boxes(boxes, (100, 80))
    visible = clipped[(clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])]
    assert len(regions) == len(visible)
    assert (regions[:, :2] <= visible[:, :2]).all() and (regions[:, 2:] >= visible[:, 2:]).all()
    assert (regions[:, :2] > visible[:, :2] - 1).all() and (regions[:, 2:] < visible[:, 2:] + 1).all()
    assert (regions >= 0).all() and (regions[:, [0, 2]] <= 100).all() and (regions[:, [1, 3]] <= 80).all()


@pytest.mark.parametrize(
    ("boxes", "scores", "expected_boxes", "expected_scores"),
    [
        (np.zeros((0, 4)), [], np.zeros((0, 4)), []),
        # a tile's part-view scores higher than the whole view: the kept box still covers the whole plate
        ([[0, 0, 70, 10], [0, 0, 100, 10]], [0.9, 0.8], [[0, 0, 100, 10]], [0.9]),
        # disjoint boxes are untouched
        ([[0, 0, 10, 10], [20, 0, 30, 10]], [0.5, 0.9], [[20, 0, 30, 10], [0, 0, 10, 10]], [0.9, 0.5]),
    ],
)
def test_nms_union_keeps_the_area_of_what_it_suppresses(boxes, scores, expected_boxes, expected_scores):
    out_boxes, out_scores = nms_union(np.asarray(boxes, np.float32), np.asarray(scores, np.float32), 0.5)
    np.testing.assert_array_equal(out_boxes, np.asarray(expected_boxes, np.float32).reshape(-1, 4))
    np.testing.assert_allclose(out_scores, expected_scores)


def test_turn_boxes_follows_np_rot90():
    from plateblur.boxes import turn_boxes
    image = np.zeros((30, 50), np.uint8)
    image[5:12, 20:41] = 1                                 # x 20..41, y 5..12
    box = np.array([[20, 5, 41, 12]], np.float32)
    for turns in range(5):
        turned = np.rot90(image, turns)
        ys, xs = np.nonzero(turned)
        np.testing.assert_allclose(turn_boxes(box, (50, 30), turns)[0], [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
    np.testing.assert_allclose(turn_boxes(turn_boxes(box, (50, 30), 1), (30, 50), 3), box)
