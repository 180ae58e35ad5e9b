"""The hard-case set's transforms keep each plate's label on the plate, and the set is reproducible."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tools.eval import hardcases
from tools.eval.data import read_yolo_labels


def photo_with_plate(w=200, h=120, box=(30, 70, 90, 88)):
    a = np.full((h, w, 3), 40, np.uint8)
    x1, y1, x2, y2 = box
    a[y1:y2, x1:x2] = 240
    return Image.fromarray(a), np.array([box], np.float64)


def bright_box(image: Image.Image) -> list[int]:
    a = np.asarray(image.convert("L")) > 128
    ys, xs = np.nonzero(a)
    return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


@pytest.mark.parametrize("turns", [1, 2, 3, 4])
def test_rotated_labels_stay_on_the_plate(turns):
    image, boxes = photo_with_plate()
    turned, turned_boxes = hardcases.rotate(image, boxes, turns)
    assert turned.size == (image.size if turns % 2 == 0 else image.size[::-1])
    np.testing.assert_allclose(turned_boxes[0], bright_box(turned))


def test_small_scales_photo_and_labels_together():
    image, boxes = photo_with_plate()
    shrunk, shrunk_boxes = hardcases.small(image, boxes)
    assert shrunk.size == (80, 48)
    np.testing.assert_allclose(shrunk_boxes[0], boxes[0] * hardcases.SMALL_SCALE)


def test_occluders_cover_part_of_the_plate_only():
    image, boxes = photo_with_plate()
    x1, y1, x2, y2 = boxes[0].astype(int)
    plate = np.asarray(image)[y1:y2, x1:x2]
    rng = np.random.default_rng(0)
    for occluded in (hardcases.bars(image, boxes, rng), hardcases.mesh(image, boxes)):
        changed = (np.asarray(occluded)[y1:y2, x1:x2] != plate).any(axis=2).mean()
        assert 0.05 < changed < 0.7, changed


def test_the_labels_round_trip_through_the_yolo_files(tmp_path):
    image, boxes = photo_with_plate()
    path = tmp_path / "x.txt"
    path.write_text(hardcases.yolo_lines(boxes, image.size))
    np.testing.assert_allclose(read_yolo_labels(path, image.size), boxes, atol=1e-3)


def test_variants_are_reproducible():
    image, boxes = photo_with_plate()
    first = hardcases.variants(image, boxes, seed=7)
    again = hardcases.variants(image, boxes, seed=7)
    assert set(first) == {"rot90", "rot270", "night", "rain", "bars", "mesh", "small"}
    for name in first:
        assert np.array_equal(np.asarray(first[name][0]), np.asarray(again[name][0])), name
