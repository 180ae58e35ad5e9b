"""tools/eval/faces.py: covered90 by face height and false regions, on synthetic boxes (no model, no data)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tools.eval.faces import Score, evaluate, height_bucket, load_face_free, load_faces, markdown


@pytest.mark.parametrize("height, bucket", [(0, "<10"), (9.9, "<10"), (10, "10-20"), (19.9, "10-20"), (20, "20-40"),
                                            (40, "40-80"), (79.9, "40-80"), (80, ">=80"), (900, ">=80")])
def test_height_bucket(height, bucket):
    assert height_bucket(height) == bucket


def test_covered90_by_height():
    s = Score()
    faces = [[0, 0, 5, 8],          # < 10 px, fully inside a region
             [100, 100, 130, 130],  # 30 px, half inside: not covered
             [200, 200, 260, 300],  # 100 px, 95 % inside: covered
             [400, 400, 415, 415]]  # 15 px, nothing there
    regions = [[0, 0, 10, 10], [100, 100, 115, 130], [200, 205, 260, 300]]
    assert s.add_photo(faces, regions).tolist() == [True, False, True, False]
    r = s.as_dict()
    assert {b: (v["faces"], v["covered"]) for b, v in r["by_height"].items()} == {
        "<10": (1, 1), "10-20": (1, 0), "20-40": (1, 0), "40-80": (0, 0), ">=80": (1, 1)}
    assert r["by_height"]["40-80"]["covered90"] is None
    assert r["at_least_20px"] == {"faces": 2, "covered": 1, "covered90": 0.5}
    assert r["all"]["covered90"] == 0.5


def test_two_regions_together_cover_a_face():
    s = Score()
    assert s.add_photo([[0, 0, 20, 20]], [[0, 0, 10, 20], [10, 0, 20, 20]]).tolist() == [True]


def test_false_regions_count_every_region_on_face_free_photos():
    s = Score()
    s.add_face_free(np.zeros((0, 4)))
    s.add_face_free([[0, 0, 5, 5], [10, 10, 20, 20]])
    s.add_face_free([[0, 0, 5, 5]])
    free = s.as_dict()["face_free"]
    assert free == {"photos": 3, "regions": 3, "regions_per_photo": 1.0, "photos_with_regions": 2}


def test_evaluate_runs_a_detector_over_the_set(tmp_path):
    from PIL import Image

    (tmp_path / "images").mkdir()
    Image.new("RGB", (64, 48)).save(tmp_path / "images" / "a.jpg")
    Image.new("RGB", (32, 32)).save(tmp_path / "free.png")
    (tmp_path / "faces.json").write_text(json.dumps({"a.jpg": [[10, 10, 30, 40]]}))
    (tmp_path / "face_free.json").write_text(json.dumps(["free.png"]))
    faces = load_faces(tmp_path)
    free = load_face_free(tmp_path, tmp_path)
    seen = []

    def regions(rgb):
        seen.append(rgb.shape)
        return np.array([[8, 8, 32, 42]]) if rgb.shape[1] == 64 else np.array([[0, 0, 4, 4]])

    score, _ = evaluate(regions, faces, free)
    r = score.as_dict()
    assert seen == [(48, 64, 3), (32, 32, 3)]
    assert r["by_height"]["20-40"] == {"faces": 1, "covered": 1, "covered90": 1.0}
    assert r["face_free"]["regions"] == 1
    assert "| 20-40 px | 1 | 100.0 % |" in markdown("test", r)
