"""Background crops for training: background.py drops crops the model sees a plate in (an unlabelled plate
must never be trained as background), and train.py keeps crops of holdout photos out and samples every
list at random, not by name."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tools.eval import background, train
from tools.testkit import MEDIA, REPO_ROOT

from .test_augment import plate_photo

MODEL = REPO_ROOT / "models" / "plates-v3-dynamic.onnx"


def crop_folder(tmp_path, crops: dict[str, Image.Image]):
    folder = tmp_path / "crops"
    folder.mkdir()
    for name, image in crops.items():
        image.save(folder / name)
    manifest = {"crops": [{"file": name, "from": name.rsplit("_c", 1)[0] + ".png"} for name in crops]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_a_crop_showing_a_plate_is_screened_out_and_a_plain_one_kept(tmp_path):
    entry = json.loads((MEDIA / "plates.json").read_text())[0]
    x1, y1, x2, y2 = entry["plates_xyxy"][1]                  # the plate in the middle of dashcam-01
    with Image.open(MEDIA / entry["file"]) as photo:
        plate = photo.convert("RGB").crop((int(x1) - 120, int(y1) - 120, int(x2) + 120, int(y2) + 120))
    road = Image.fromarray(np.full((300, 300, 3), 90, np.uint8))
    folder = crop_folder(tmp_path, {"dash_c0.png": plate, "road_c0.png": road})
    assert background.main([str(folder), "--model", str(MODEL), "--below", "0.3"]) == 0
    kept = [line.split("/")[-1] for line in (folder / "list.txt").read_text().split()]
    assert kept == ["road_c0.png"]
    record = json.loads((folder / "screen.json").read_text())
    assert record["best_score"]["dash_c0.png"] >= 0.3 > record["best_score"]["road_c0.png"]
    assert sorted(p.name for p in folder.iterdir()) == ["dash_c0.png", "list.txt", "manifest.json", "road_c0.png",
                                                        "screen.json"], "no temporary file left behind"


def test_crops_of_holdout_photos_never_train_and_fraction_samples_at_random(tmp_path):
    names = [f"{src}_{i:04d}" for src in ("aaa", "zzz") for i in range(10)]
    for name in names:
        plate_photo(tmp_path, name)
    folder = crop_folder(tmp_path, {f"{name}_c0.png": Image.new("RGB", (64, 64)) for name in names})
    (folder / "list.txt").write_text("".join(f"{folder / f'{n}_c0.png'}\n" for n in names))
    record = train.write_data_yaml(tmp_path, tmp_path / "run", 0.2, seed=0, background=folder)
    held = {line.split("/")[-1].rsplit(".", 1)[0] for line in (tmp_path / "run" / "holdout.txt").read_text().split()}
    trained = (tmp_path / "run" / "train.txt").read_text().split()
    crops = [p.split("/")[-1].rsplit("_c", 1)[0] for p in trained if "/crops/" in p]
    assert len(held) == 4 and record["background_photos"] == len(crops) == 16
    assert not held & set(crops)

    half = train.write_data_yaml(tmp_path, tmp_path / "half", 0.2, seed=0, background=folder, fraction=0.5)
    trained = (tmp_path / "half" / "train.txt").read_text().split()
    assert half["background_photos"] == 8 and len(trained) == 16
    sources = {p.split("/")[-1][:3] for p in trained if "/crops/" not in p}
    assert sources == {"aaa", "zzz"}, "a random share, not the first files by name"


def test_unscreened_crops_and_a_share_out_of_range_are_refused_with_one_line(tmp_path):
    plate_photo(tmp_path, "src_0000")
    folder = crop_folder(tmp_path, {"src_0000_c0.png": Image.new("RGB", (64, 64))})   # no list.txt: not screened
    with pytest.raises(SystemExit) as refused:
        train.write_data_yaml(tmp_path, tmp_path / "run", 0.2, seed=0, background=folder)
    assert str(refused.value) == (f"train: {folder} has no list.txt and manifest.json: cut crops with "
                                  "tools/eval/make_negatives.py --split train, then screen them with "
                                  "tools/eval/background.py")
    assert not (tmp_path / "run").exists(), "nothing written before the refusal"
    for share in ("0", "1.5"):
        with pytest.raises(SystemExit) as refused:
            train.main(["--fraction", share])
        assert str(refused.value) == f"train: --fraction must be more than 0 and at most 1, not {float(share):g}"
