"""The extra training photos: labels stay on the plates, pasted plates are labelled, the set is the same on
every run, and train.py keeps copies of holdout photos out of training."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tools.eval import augment, train
from tools.eval.data import Sample, read_yolo_labels


def plate_photo(tmp_path, name, w=320, h=200, box=(40, 120, 120, 146)):
    a = np.full((h, w, 3), 60, np.uint8)
    x1, y1, x2, y2 = box
    a[y1:y2, x1:x2] = 235
    a[y1 + 6:y2 - 6, x1 + 8:x2 - 8:6] = 20                  # "characters"
    path = tmp_path / "images" / "train" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path)
    labels = tmp_path / "labels" / "train"
    labels.mkdir(parents=True, exist_ok=True)
    (labels / f"{name}.txt").write_text(
        f"0 {(x1 + x2) / 2 / w} {(y1 + y2) / 2 / h} {(x2 - x1) / w} {(y2 - y1) / h}\n")
    return Sample(path, np.array([box], np.float64), name.split("_")[0])


def bright(a: np.ndarray, box) -> float:
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    return float(np.asarray(a)[y1:y2, x1:x2].mean())


def test_occluders_change_part_of_the_plate_and_keep_the_label(tmp_path):
    s = plate_photo(tmp_path, "src_0001")
    image = Image.open(s.path).convert("RGB")
    x1, y1, x2, y2 = s.boxes[0].astype(int)
    plate = np.asarray(image)[y1:y2, x1:x2]
    for seed in range(5):
        rng = np.random.default_rng(seed)
        for out in (augment.bars(image, s.boxes, rng), augment.mesh(image, s.boxes, rng)):
            changed = (np.asarray(out)[y1:y2, x1:x2] != plate).any(axis=2).mean()
            assert 0.03 < changed < 0.8, (seed, changed)


def test_pasted_plates_are_labelled_where_they_land(tmp_path):
    target = plate_photo(tmp_path, "src_0001", w=640, h=400, box=(20, 20, 100, 46))
    donor = plate_photo(tmp_path, "src_0002", box=(40, 120, 160, 150))
    image = Image.open(target.path).convert("RGB")
    out, boxes = augment.paste(image, target.boxes, [donor], np.random.default_rng(3))
    assert len(boxes) > 1, "at least one plate pasted"
    np.testing.assert_allclose(boxes[0], target.boxes[0])
    a = np.asarray(out)
    for box in boxes[1:]:
        assert bright(a, box) > 100, "the new label sits on the pasted (bright) plate"
        assert not (box[2] >= 20 and box[0] <= 100 and box[3] >= 20 and box[1] <= 46), "no overlap with a plate"


def test_the_set_is_the_same_on_every_run_and_labels_follow_turns(tmp_path):
    for i in range(12):
        plate_photo(tmp_path, f"src_{i:04d}")
    first = augment.build(tmp_path, tmp_path / "a", workers=1)
    again = augment.build(tmp_path, tmp_path / "b", workers=1)
    assert [p.split("/")[-1] for p in first] == [p.split("/")[-1] for p in again]
    assert first, "twelve plate photos give some copies"
    for path in first:
        name = path.split("/")[-1]
        a = np.asarray(Image.open(tmp_path / "a" / "images" / name).convert("L"))
        labels = read_yolo_labels(tmp_path / "a" / "labels" / name.replace(".jpg", ".txt"), a.shape[::-1])
        assert len(labels), name
        if name.startswith("augturn-"):
            assert bright(a, labels[0]) > 120, f"{name}: the label follows the turned plate"
    assert (tmp_path / "a" / "list.txt").read_text().split() == first


@pytest.mark.parametrize("holdout", [0.25, 0.5])
def test_copies_of_holdout_photos_never_train(tmp_path, holdout):
    for i in range(8):
        plate_photo(tmp_path, f"src_{i:04d}")
    extra = tmp_path / "extra"
    written = augment.build(tmp_path, extra, workers=1)
    record = train.write_data_yaml(tmp_path, tmp_path / "run", holdout, seed=0, extra=extra)
    held = {line.split("/")[-1].rsplit(".", 1)[0] for line in (tmp_path / "run" / "holdout.txt").read_text().split()}
    trained = (tmp_path / "run" / "train.txt").read_text().split()
    assert held and not any(p.split("/")[-1].split("-", 1)[1].rsplit(".", 1)[0] in held
                            for p in trained if "/extra/" in p)
    assert record["extra_photos"] == sum("/extra/" in p for p in trained) == sum(record["extra_kinds"].values())
    assert record["extra_photos"] < len(written) or not any(
        p.split("/")[-1].split("-", 1)[1].rsplit(".", 1)[0] in held for p in written)
