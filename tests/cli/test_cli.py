"""The command line, run as a subprocess: `python -m plateblur`."""
from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.cli.cli_run import SUMMARY, copy_sample, files_under, json_lines, run_cli, run_main
from tests.support.helpers import MODEL_PATH, outside_mask
from tools.testkit import MEDIA
from plateblur.cpython.assets import model_path
from plateblur.settings import FACE_CONF, FACE_MODEL_FILE, Settings

RECORD_KEYS = {"path", "width", "height", "boxes", "box_kinds", "regions", "kinds"}


def jpeg_with_exif(source: Path, target: Path, orientation: int = 1) -> Path:
    """Re-save a sample as JPEG carrying EXIF (orientation, camera make, GPS)."""
    img = Image.open(source).convert("RGB")
    exif = img.getexif()
    exif[0x0112] = orientation
    exif[0x010F] = "plateblur-test-camera"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}
    img.save(target, format="JPEG", quality=95, exif=exif)
    return target


@pytest.fixture(scope="module")
def samples_json(tmp_path_factory):
    """One --json run over a few samples and a bad file:
    (folder, result, records by file name, records in order). Default settings."""
    folder = tmp_path_factory.mktemp("json")
    names = ["openimages-09.jpg", "dashcam-01.png", "noplate-10.jpg"]
    for name in names:
        copy_sample(name, folder)
    (folder / "notes.jpg").write_text("this is not a photo\n")
    before = files_under(folder)
    result = run_cli("--json", "openimages-09.jpg", "notes.jpg", "dashcam-01.png", "noplate-10.jpg", cwd=folder)
    assert files_under(folder) == before, "--json must write no files"
    records = json_lines(result.stdout)
    return folder, result, {Path(r["path"]).name: r for r in records}, records


# --- --json ----------------------------------------------------------------------------------------

def test_json_one_object_per_input_in_order(samples_json):
    _, result, _, records = samples_json
    assert [r["path"] for r in records] == ["openimages-09.jpg", "notes.jpg", "dashcam-01.png", "noplate-10.jpg"]
    assert result.returncode == 1                                   # one input failed


def test_json_record_format(samples_json):
    _, _, by_name, _ = samples_json
    for name, (w, h) in {"openimages-09.jpg": (416, 416), "dashcam-01.png": (1280, 720),
                         "noplate-10.jpg": (1280, 300)}.items():
        record = by_name[name]
        assert set(record) == RECORD_KEYS
        assert (record["width"], record["height"]) == (w, h)
        assert type(record["width"]) is int and type(record["height"]) is int
        for box in record["boxes"]:
            assert len(box) == 5 and all(isinstance(v, (int, float)) for v in box)
            x1, y1, x2, y2, score = box
            assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
        for box, kind in zip(record["boxes"], record["box_kinds"], strict=True):
            assert box[4] >= (FACE_CONF if kind == "face" else Settings().conf)    # each kind's threshold
        for region in record["regions"]:
            assert len(region) == 4 and all(type(v) is int for v in region)
            x1, y1, x2, y2 = region
            assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
        assert len(record["regions"]) == len(record["boxes"])
        assert record["kinds"] == record["box_kinds"] and set(record["kinds"]) <= {"plate", "face"}
    assert by_name["openimages-09.jpg"]["box_kinds"].count("plate") == 4
    assert by_name["noplate-10.jpg"]["boxes"] == [] and by_name["noplate-10.jpg"]["regions"] == []


def test_json_error_record_for_a_bad_file(samples_json):
    _, result, by_name, _ = samples_json
    record = by_name["notes.jpg"]
    assert set(record) == {"path", "error"}
    assert "not an image" in record["error"]
    assert "notes.jpg" in result.stderr
    assert "Traceback" not in result.stderr


def test_json_matches_the_core(samples_json):
    """The CLI reports what the core finds (same boxes and regions at default settings)."""
    pytest.importorskip("onnxruntime")
    from plateblur.imageio import decode_photo
    from plateblur.cpython.onnx_model import OnnxModel
    from plateblur.pipeline import detect, render

    folder, _, by_name, _ = samples_json
    model = OnnxModel(MODEL_PATH)
    models = {"plate": model, "face": OnnxModel(model_path(FACE_MODEL_FILE))}
    for name in ("openimages-09.jpg", "dashcam-01.png"):
        photo = decode_photo((folder / name).read_bytes())
        rendered = render(photo.rgb, detect(photo.rgb, models, model.input_wh, Settings(), model.dynamic), Settings())
        assert by_name[name]["boxes"] == rendered.detections.to_rows()
        assert by_name[name]["regions"] == rendered.regions.tolist()
        assert by_name[name]["kinds"] == list(rendered.kinds)


def test_json_writes_nothing(tmp_path):
    copy_sample("openimages-08.jpg", tmp_path, "a.jpg")
    result = run_cli("--json", "a.jpg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert files_under(tmp_path) == {"a.jpg"}
    assert len(json_lines(result.stdout)) == 1
    assert result.stderr == ""


# --- writing files ---------------------------------------------------------------------------------

def test_output_folder_keeps_each_input_format_and_drops_exif(tmp_path, samples_json):
    jpeg_with_exif(MEDIA / "openimages-09.jpg", tmp_path / "camera.jpg")
    copy_sample("dashcam-01.png", tmp_path, "dash.png")                 # RGBA
    copy_sample("openimages-08.jpg", tmp_path, "plain.jpeg")
    Image.open(MEDIA / "openimages-08.jpg").save(tmp_path / "png-inside.jpg", format="PNG")
    result = run_cli("-o", "out/", "camera.jpg", "dash.png", "plain.jpeg", "png-inside.jpg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    out = tmp_path / "out"
    expected = {"camera.jpg": "JPEG", "dash.png": "PNG", "plain.jpg": "JPEG", "png-inside.png": "PNG"}
    assert files_under(out) == set(expected)
    for name, fmt in expected.items():
        data = (out / name).read_bytes()
        with Image.open(io.BytesIO(data)) as img:
            assert img.format == fmt
            assert len(img.getexif()) == 0 and "exif" not in img.info
        assert b"plateblur-test-camera" not in data
    with Image.open(tmp_path / "dash.png") as src, Image.open(out / "dash.png") as dst:
        assert src.mode == dst.mode == "RGBA"
        np.testing.assert_array_equal(np.asarray(dst)[..., 3], np.asarray(src)[..., 3])
        _assert_only_regions_changed(np.asarray(src.convert("RGB")), np.asarray(dst.convert("RGB")),
                                     samples_json[2]["dashcam-01.png"]["regions"], "blur")
    assert "camera.jpg" in result.stderr                                 # progress, on stderr


def _assert_only_regions_changed(src, dst, regions, mode):
    assert regions
    keep = outside_mask(src.shape[:2], regions)
    np.testing.assert_array_equal(dst[keep], src[keep])
    for x1, y1, x2, y2 in regions:
        inside = dst[y1:y2, x1:x2]
        assert not np.array_equal(inside, src[y1:y2, x1:x2])
        if mode == "fill":
            assert (inside == 0).all()
        else:
            assert len(np.unique(inside.reshape(-1, 3), axis=0)) > 1


@pytest.mark.parametrize("mode", ["pixelate", "fill"])
def test_mode_changes_only_the_reported_regions(tmp_path, samples_json, mode):
    copy_sample("dashcam-01.png", tmp_path, "d.png")
    result = run_cli("--mode", mode, "-o", mode, "d.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    src = np.asarray(Image.open(tmp_path / "d.png").convert("RGB"))
    dst = np.asarray(Image.open(tmp_path / mode / "d.png").convert("RGB"))
    _assert_only_regions_changed(src, dst, samples_json[2]["dashcam-01.png"]["regions"], mode)


def test_exif_orientation_is_applied_before_detection_and_in_the_output(tmp_path):
    # street-07 is 1024 x 768; stored rotated with Orientation 6 it shows as 768 x 1024
    rotated = Image.open(MEDIA / "street-07.jpg").convert("RGB").transpose(Image.Transpose.ROTATE_90)
    rotated.save(tmp_path / "src.jpg", quality=95)
    jpeg_with_exif(tmp_path / "src.jpg", tmp_path / "turned.jpg", orientation=6)
    record = json_lines(run_cli("--json", "turned.jpg", cwd=tmp_path).stdout)[0]
    assert (record["width"], record["height"]) == (1024, 768)
    assert len(record["boxes"]) >= 1
    # the plate of street-07 is at [239, 455, 433, 538] once the photo is upright
    assert any(x1 <= 250 and y1 <= 465 and x2 >= 420 and y2 >= 530 for x1, y1, x2, y2, _ in record["boxes"])
    result = run_cli("turned.jpg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "turned_anonymised.jpg") as img:
        assert img.size == (1024, 768) and len(img.getexif()) == 0


def test_default_output_name_next_to_the_input(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    copy_sample("openimages-08.jpg", photos, "car.jpg")
    copy_sample("dashcam-03.png", photos, "road.png")
    result = run_cli("-q", "photos/car.jpg", "photos/road.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout == ""                 # -q: no progress
    assert files_under(tmp_path) == {"photos", "photos/car.jpg", "photos/road.png",
                                     "photos/car_anonymised.jpg", "photos/road_anonymised.png"}
    assert Image.open(photos / "car_anonymised.jpg").format == "JPEG"
    assert Image.open(photos / "road_anonymised.png").format == "PNG"


def test_a_folder_expands_to_its_images(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    copy_sample("openimages-08.jpg", folder, "b.jpg")
    copy_sample("openimages-09.jpg", folder, "a.JPEG")
    Image.open(MEDIA / "openimages-08.jpg").save(folder / "c.webp", format="WEBP")
    copy_sample("openimages-09.jpg", folder / "sub", "nested.jpg")
    (folder / "notes.txt").write_text("not a photo")
    (folder / "README").write_text("not a photo")
    result = run_cli("--json", "in", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    paths = [Path(r["path"]) for r in json_lines(result.stdout)]
    assert paths == [Path("in/a.JPEG"), Path("in/b.jpg"), Path("in/c.webp")]


@pytest.mark.parametrize(("folder_content", "message"), [([], "no photos"), (["notes.txt"], "no photos")])
def test_a_folder_without_photos_fails(tmp_path, folder_content, message):
    (tmp_path / "empty").mkdir()
    for name in folder_content:
        (tmp_path / "empty" / name).write_text("x")
    result = run_cli("empty", cwd=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr


# --- failures ----------------------------------------------------------------------------------

def test_a_bad_file_does_not_stop_the_batch(tmp_path):
    copy_sample("openimages-08.jpg", tmp_path, "first.jpg")
    data = (MEDIA / "openimages-09.jpg").read_bytes()
    (tmp_path / "broken.jpg").write_bytes(data[: len(data) // 3])
    copy_sample("openimages-09.jpg", tmp_path, "last.jpg")
    result = run_cli("first.jpg", "broken.jpg", "missing.png", "last.jpg", cwd=tmp_path)
    assert result.returncode == 1
    assert files_under(tmp_path) == {"first.jpg", "broken.jpg", "last.jpg",
                                     "first_anonymised.jpg", "last_anonymised.jpg"}
    errors = [line for line in result.stderr.splitlines() if line.startswith("plateblur:")]
    assert len(errors) == 3
    assert "broken.jpg" in errors[0] and "truncated or corrupt" in errors[0]
    assert errors[1] == "plateblur: missing.png: cannot read the file (No such file or directory)"
    assert re.fullmatch(SUMMARY.format(done=2, failed=2, skipped=0), errors[2])
    assert "Traceback" not in result.stderr


def test_an_unwritable_output_does_not_stop_the_batch(tmp_path):
    copy_sample("openimages-08.jpg", tmp_path, "a.jpg")
    copy_sample("openimages-09.jpg", tmp_path, "b.jpg")
    (tmp_path / "a_anonymised.jpg").mkdir()                 # a folder where a's result should go
    result = run_cli("a.jpg", "b.jpg", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert "a.jpg" in result.stderr
    assert (tmp_path / "b_anonymised.jpg").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "smudge"], "--mode: invalid choice"),
        (["--mode", ""], "--mode: invalid choice"),
        (["--conf", "0"], "conf must be between"),
        (["--conf", "1.5"], "conf must be between"),
        (["--conf", "-0.2"], "conf must be between"),
        (["--conf", "nan"], "conf must be between"),
        (["--conf", "high"], "--conf: invalid float value"),
        (["--pad", "-1"], "pad must be between"),
        (["--strength", "0"], "strength must be"),
        (["--model", "no-such-model.onnx"], "model not found"),
        (["--json", "-o", "out"], "--json writes no files, so -o has nothing to do"),
        (["--resume", "--overwrite"], "--resume leaves earlier results as they are; it cannot go with --overwrite"),
        (["--resume", "--json"], "--resume leaves earlier results as they are; it cannot go with --json"),
        (["--jobs", "0"], "argument -j/--jobs: expected a whole number of at least 1, not '0'"),
        (["--jobs", "two"], "argument -j/--jobs: expected a whole number of at least 1, not 'two'"),
        ([], "the following arguments are required: inputs"),
    ],
)
def test_bad_arguments_exit_2_with_usage(tmp_path, args, message):
    copy_sample("openimages-08.jpg", tmp_path, "a.jpg")
    inputs = ["a.jpg"] if args else []
    result = run_cli(*args, *inputs, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: ")
    assert message in result.stderr
    assert result.stdout == ""
    assert files_under(tmp_path) == {"a.jpg"}


# --- settings change the result --------------------------------------------------------------------

def _json_for(tmp_path, *args):
    result = run_cli("--json", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = json_lines(result.stdout)
    assert len(records) == 1
    return records[0]


@pytest.mark.parametrize("model", ["photo.jpg", "empty.onnx"])
@pytest.mark.parametrize("where", [[], ["-o", "out"], ["--json"]])
def test_a_model_that_is_no_model_is_refused_once_before_anything(tmp_path, monkeypatch, capsys, model, where):
    monkeypatch.chdir(tmp_path)
    for i in range(3):
        copy_sample("openimages-08.jpg", tmp_path, f"a{i}.jpg")
    copy_sample("openimages-09.jpg", tmp_path, "photo.jpg")
    (tmp_path / "empty.onnx").write_bytes(b"")
    before = files_under(tmp_path)
    code, out, err = run_main("--model", model, *where, "a0.jpg", "a1.jpg", "a2.jpg", capsys=capsys)
    why = "it is not an ONNX model" if model == "photo.jpg" else "the file is empty"
    assert (code, out, err) == (1, "", f"plateblur: cannot use the model {model}: {why}\n")
    assert files_under(tmp_path) == before                         # nothing written, not even out/


def test_bigger_pad_gives_bigger_regions(tmp_path, samples_json):
    default = samples_json[2]["openimages-09.jpg"]                       # pad 0.15
    copy_sample("openimages-09.jpg", tmp_path, "a.jpg")
    big = _json_for(tmp_path, "--pad", "0.6", "a.jpg")
    assert big["boxes"] == default["boxes"]                             # same detections
    assert len(big["regions"]) == len(default["regions"]) and big["kinds"].count("plate") == 4
    for (a1, b1, c1, d1), (a2, b2, c2, d2), (x1, y1, x2, y2, _), kind in zip(
            default["regions"], big["regions"], big["boxes"], big["kinds"]):
        if kind != "plate":
            continue                                  # a face's pad is larger (tests/unit/test_faces.py)
        assert a2 <= a1 and b2 <= b1 and c2 >= c1 and d2 >= d1
        assert (c2 - a2) * (d2 - b2) > (c1 - a1) * (d1 - b1)
        # 0.6 of the box's width / height on each side, clipped to the 416 x 416 photo
        assert a2 <= max(0, x1 - 0.6 * (x2 - x1) + 0.5) and c2 >= min(416, x2 + 0.6 * (x2 - x1) - 0.5)
        assert b2 <= max(0, y1 - 0.6 * (y2 - y1) + 0.5) and d2 >= min(416, y2 + 0.6 * (y2 - y1) - 0.5)


def test_higher_conf_gives_fewer_boxes(tmp_path, samples_json):
    default = samples_json[2]["openimages-09.jpg"]                       # the default conf
    copy_sample("openimages-09.jpg", tmp_path, "a.jpg")
    high = _json_for(tmp_path, "--conf", "0.5", "a.jpg")
    plates = [b for b, kind in zip(high["boxes"], high["box_kinds"]) if kind == "plate"]
    default_plates = [b for b, kind in zip(default["boxes"], default["box_kinds"]) if kind == "plate"]
    assert 1 <= len(plates) < len(default_plates)
    assert [b for b in default_plates if b[4] >= 0.5] == plates
    faces = [b for b, kind in zip(high["boxes"], high["box_kinds"]) if kind == "face"]
    assert faces == [b for b, kind in zip(default["boxes"], default["box_kinds"]) if kind == "face"], \
        "--conf is the plates' threshold; faces keep theirs"
    assert len(high["regions"]) == len(high["boxes"])
