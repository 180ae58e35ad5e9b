"""tools/eval/evaluate.py and its metrics: synthetic boxes with known answers, plus a tiny real run."""
from __future__ import annotations

import json

import numpy as np
import pytest

from plateblur.settings import Settings
from tools.eval import evaluate, make_negatives
from tools.eval.data import load_plates_json, read_yolo_labels, source_of
from tools.eval.inference import core_files
from tools.eval.make_negatives import clear, find_crops, grown, photo_rng
from tools.eval.metrics import Summary, covered_share, iou_matrix, match_greedy, score_photo, size_bucket
from tools.testkit import MEDIA


def test_the_cache_key_covers_every_core_module():
    """The detections cache is keyed by the core's files: all of plateblur but the page's adapter."""
    names = {p.name for p in core_files()}
    assert {"pipeline.py", "settings.py", "obscure.py", "imageio.py", "assets.py", "__init__.py"} <= names
    assert not [p for p in core_files() if p.parent.name == "browser"]


def test_iou_matrix():
    a = [[0, 0, 10, 10]]
    b = [[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30], [0, 0, 0, 0]]
    np.testing.assert_allclose(iou_matrix(a, b), [[1.0, 50 / 150, 0.0, 0.0]])


@pytest.mark.parametrize("pred, conf, gt, gt_found, pred_ok", [
    # exact hit and a miss
    ([[0, 0, 10, 10]], [0.9], [[0, 0, 10, 10], [50, 50, 60, 60]], [True, False], [True]),
    # two detections on one plate: only the more confident one matches, one to one
    ([[0, 0, 10, 10], [1, 0, 11, 10]], [0.3, 0.8], [[0, 0, 10, 10]], [True], [False, True]),
    # IoU 50/150 = 0.33 < 0.5: no match
    ([[5, 0, 15, 10]], [0.9], [[0, 0, 10, 10]], [False], [False]),
    # IoU exactly 0.5 counts (>=)
    ([[0, 0, 10, 10]], [0.9], [[0, 0, 10, 20]], [True], [True]),
    # the confident detection takes the plate it overlaps most, leaving the other for the next one
    ([[0, 0, 10, 10], [2, 0, 12, 10]], [0.9, 0.5], [[0, 0, 10, 10], [3, 0, 13, 10]], [True, True], [True, True]),
    # nothing detected / nothing labelled
    ([], [], [[0, 0, 10, 10]], [False], []),
    ([[0, 0, 10, 10]], [0.9], [], [], [False]),
])
def test_match_greedy(pred, conf, gt, gt_found, pred_ok):
    found, matched = match_greedy(pred, conf, gt)
    assert found.tolist() == gt_found
    assert matched.tolist() == pred_ok


@pytest.mark.parametrize("gt, regions, share", [
    ([[10, 10, 20, 20]], [[0, 0, 30, 30]], 1.0),                          # fully inside
    ([[10, 10, 20, 20]], [[0, 0, 15, 30]], 0.5),                          # left half
    ([[10, 10, 20, 20]], [[0, 0, 15, 30], [15, 0, 30, 30]], 1.0),         # two halves make the whole
    ([[10, 10, 20, 20]], [[0, 0, 15, 30], [12, 0, 15, 30]], 0.5),         # overlap is not counted twice
    ([[10, 10, 20, 20]], [[0, 0, 15, 15], [15, 15, 30, 30]], 0.5),        # two diagonal quarters
    ([[10, 10, 20, 20]], [[0, 0, 15, 15], [0, 0, 30, 12]], 0.35),  # L shape: (25 + 20 - 10 overlap) / 100
    ([[10, 10, 20, 20]], [], 0.0),                                          # nothing obscured
    ([[10, 10, 20, 20]], [[40, 40, 50, 50]], 0.0),                          # elsewhere
    ([[10.5, 10.5, 19.5, 19.5]], [[10, 10, 20, 20]], 1.0),                  # whole-pixel region around a float box
])
def test_covered_share(gt, regions, share):
    np.testing.assert_allclose(covered_share(gt, regions), [share], atol=1e-9)


@pytest.mark.parametrize("width, bucket", [(0, "small"), (31.9, "small"), (32, "medium"), (95.9, "medium"),
                                           (96, "large"), (600, "large")])
def test_size_bucket(width, bucket):
    assert size_bucket(width) == bucket


def test_summary_adds_up():
    s = Summary()
    gt = [[0, 0, 20, 10], [100, 100, 200, 140]]           # a small and a large plate
    # the small plate is found but its padded region covers only 80 % of it; the large one is missed
    # by the box yet covered by a big region; one extra box matches nothing
    s.add(score_photo("a_1.webp", "a", gt, [[0, 0, 20, 10], [300, 300, 310, 310]], [0.9, 0.2],
                      [[0, 0, 16, 10], [90, 90, 210, 150], [300, 300, 310, 310]]))
    s.add(score_photo("b_1.webp", "b", [], [], [], []))
    s.add_negative("a", 2)
    s.add_negative("a", 0)
    d = s.as_dict()
    assert d["overall"] == {"photos": 2, "plates": 2, "found": 1, "covered": 1, "recall": 0.5, "covered_rate": 0.5,
                            "photos_all_covered": 0.5, "kept": 2, "unmatched": 1, "precision": 0.5}
    assert d["by_size"]["small"]["plates"] == 1 and d["by_size"]["small"]["recall"] == 1.0
    assert d["by_size"]["small"]["covered_rate"] == 0.0
    assert d["by_size"]["large"]["recall"] == 0.0 and d["by_size"]["large"]["covered_rate"] == 1.0
    assert d["by_source"]["b"]["plates"] == 0 and d["by_source"]["b"]["recall"] is None
    assert d["negatives"] == {"photos": 2, "regions": 2, "regions_per_photo": 1.0, "photos_with_regions": 1,
                              "max_regions": 2}


def test_yolo_labels_and_sources(tmp_path):
    label = tmp_path / "x.txt"
    label.write_text("0 0.5 0.5 0.2 0.1\n\n")
    np.testing.assert_allclose(read_yolo_labels(label, (200, 100)), [[80, 45, 120, 55]])
    assert read_yolo_labels(tmp_path / "missing.txt", (200, 100)).shape == (0, 4)
    assert source_of("openlpr_00012.webp") == "openlpr"
    assert source_of("dashcam-01.png") == "dashcam"


def test_negative_crops_stay_clear_and_repeat():
    plates = np.array([[100.0, 200, 160, 220], [400, 50, 430, 60]])
    forbidden = grown(plates, 0.5, 16)
    first = find_crops((640, 480), forbidden, photo_rng(0, "x.webp"), 256, 2)
    again = find_crops((640, 480), forbidden, photo_rng(0, "x.webp"), 256, 2)
    assert first and first == again
    for x1, y1, x2, y2 in first:
        assert min(x2 - x1, y2 - y1) >= 256 and x2 <= 640 and y2 <= 480
        assert clear((x1, y1, x2, y2), forbidden)
        assert clear((x1, y1, x2, y2), plates)


@pytest.mark.skipif(not (MEDIA / "plates.json").is_file(), reason="needs ../shared/media")
def test_tiny_run_on_three_media_photos(tmp_path, capsys):
    records = json.loads((MEDIA / "plates.json").read_text())[:3]
    for r in records:
        r["file"] = str(MEDIA / r["file"])
    subset = tmp_path / "plates.json"
    subset.write_text(json.dumps(records))
    samples = load_plates_json(subset)
    assert [len(s.boxes) for s in samples] == [len(r["plates_xyxy"]) for r in records]

    assert evaluate.main(["--data", str(subset), "--no-negatives", "--no-cache", "--json", "-q"]) == 0
    result = json.loads(capsys.readouterr().out)
    overall = result["overall"]
    assert result["data"]["photos"] == 3 and overall["plates"] == sum(len(r["plates_xyxy"]) for r in records)
    assert result["settings"]["conf"] == Settings().conf == 0.05 and result["settings"]["pad"] == 0.15
    assert set(result["by_size"]) == {"small", "medium", "large"}
    assert sum(t["plates"] for t in result["by_size"].values()) == overall["plates"]
    # the shipped model finds the plates of these dashcam frames (they were in its training data)
    assert overall["recall"] >= 0.8 and overall["covered_rate"] >= 0.8
    assert overall["covered"] >= overall["found"] - 1


def test_make_negatives_end_to_end(tmp_path):
    """Seeded crops from a tiny YOLO folder, clear of the plate; a reviewed crop is left out."""
    from PIL import Image

    root = tmp_path / "data"
    for sub in ("images/val", "labels/val"):
        (root / sub).mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name, label in (("a_1", "0 0.5 0.5 0.1 0.05\n"), ("b_2", "")):
        Image.fromarray(rng.integers(0, 255, (400, 600, 3), dtype=np.uint8)).save(root / "images/val" / f"{name}.png")
        (root / "labels/val" / f"{name}.txt").write_text(label)
    out = tmp_path / "neg"
    args = ["--data", str(root), "--split", "val", "--out", str(out), "--min-side", "128"]
    assert make_negatives.main(args + ["--no-review"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    crops = manifest["crops"]
    assert crops and {c["from"] for c in crops} == {"a_1.png", "b_2.png"}
    plate = np.array([[270.0, 190, 330, 210]])
    for c in crops:
        x1, y1, x2, y2 = c["box"]
        assert min(x2 - x1, y2 - y1) >= 128
        assert clear(tuple(c["box"]), grown(plate, 0.5, 16)) or c["from"] == "b_2.png"
        with Image.open(out / c["file"]) as img:
            assert img.size == (x2 - x1, y2 - y1)

    review = tmp_path / "review.json"
    review.write_text(json.dumps({"plate": [{"file": crops[0]["file"], "from": crops[0]["from"], "box": crops[0]["box"]}]}))
    assert make_negatives.main(args + ["--review", str(review)]) == 0
    again = json.loads((out / "manifest.json").read_text())
    assert again["left_out_by_review"] == [crops[0]["file"]]
    assert again["crops"] == crops[1:] and not (out / crops[0]["file"]).exists()
