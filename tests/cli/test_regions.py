"""--regions FILE: --json output, edited, fed back; exactly those regions are obscured, without the model."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.cli.cli_run import copy_sample, files_under, json_lines, run_cli, run_main
from tests.support.helpers import outside_mask
from tools.testkit import MEDIA

NAMES = ["dashcam-02.png", "noplate-10.jpg"]
FALSE = [100, 50, 300, 150]   # a region drawn by hand where there is no plate


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(np.int16)


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    """The samples and what --json found in them (by file name)."""
    folder = tmp_path_factory.mktemp("regions")
    for name in NAMES:
        copy_sample(name, folder)
    result = run_cli("--json", *NAMES, cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder, {r["path"]: r for r in json_lines(result.stdout)}


def write_lines(path, records) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


@pytest.fixture
def no_model(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("--regions must not load the model")
    monkeypatch.setattr("plateblur.cpython.work.OnnxModel", refuse)


def test_unedited_regions_give_the_models_result(found, no_model, capsys, monkeypatch):
    folder, records = found
    monkeypatch.chdir(folder)
    write_lines(folder / "found.jsonl", records.values())
    code, out, err = run_main("-q", "--regions", "found.jsonl", "-o", "given", *NAMES, capsys=capsys)
    assert (code, err) == (0, "")
    # the model's own run, in a subprocess (the in-process OnnxModel is refused here)
    assert run_cli("-q", "-o", "detected", *NAMES, cwd=folder).returncode == 0
    for name in NAMES:
        assert np.array_equal(pixels(folder / "given" / name), pixels(folder / "detected" / name)), name


def test_edited_regions_are_exactly_what_is_obscured(found, no_model, capsys, monkeypatch):
    folder, records = found
    monkeypatch.chdir(folder)
    dashcam = dict(records["dashcam-02.png"])
    kept, dropped = dashcam["regions"][1:], dashcam["regions"][0]
    dashcam["regions"] = kept + [FALSE]
    noplate = dict(records["noplate-10.jpg"], regions=[FALSE])
    write_lines(folder / "edited.jsonl", [dashcam, noplate])

    code, out, err = run_main("--json", "--regions", "edited.jsonl", *NAMES, capsys=capsys)
    assert code == 0 and [r["regions"] for r in json_lines(out)] == [kept + [FALSE], [FALSE]]
    assert [r["boxes"] for r in json_lines(out)] == [[], []], "no detector ran"

    code, out, err = run_main("--regions", "edited.jsonl", "--mode", "fill", "-o", "edited", *NAMES, capsys=capsys)
    assert code == 0, err
    assert err.splitlines()[-1].startswith("plateblur: 2 done, 0 failed, 0 skipped; 3 plates, 1 region found;"), \
        "the kinds the file gives, by position (the edit kept three); the region without one is drawn"
    before, after = pixels(MEDIA / "dashcam-02.png"), pixels(folder / "edited" / "dashcam-02.png")
    given = kept + [FALSE]
    for x1, y1, x2, y2 in given:
        assert (after[y1:y2, x1:x2] == 0).all()
    outside = outside_mask(before.shape[:2], given)
    assert np.array_equal(after[outside], before[outside]), "nothing else changed (the dropped plate neither)"
    x1, y1, x2, y2 = dropped
    assert np.array_equal(after[y1:y2, x1:x2], before[y1:y2, x1:x2])
    x1, y1, x2, y2 = FALSE
    assert (pixels(folder / "edited" / "noplate-10.jpg")[y1 + 8:y2 - 8, x1 + 8:x2 - 8] <= 12).all(), "black (JPEG)"


def test_a_photo_without_regions_in_the_file_fails_and_the_others_go_on(found, no_model, capsys, monkeypatch):
    folder, records = found
    monkeypatch.chdir(folder)
    write_lines(folder / "one.jsonl", [records["noplate-10.jpg"]])
    code, out, err = run_main("-q", "--regions", "one.jsonl", "-o", "one", *NAMES, capsys=capsys)
    assert code == 1
    assert err == "plateblur: dashcam-02.png: no regions for this photo in one.jsonl\n"
    assert files_under(folder / "one") == {"noplate-10.jpg"}, "no photo is passed through unobscured"


@pytest.mark.parametrize("change, message", [
    ({"width": 640}, "plateblur: dashcam-02.png: the regions in bad.jsonl are for a 640x720 photo, this one is 1280x720"),
    ({"regions": [[1200, 700, 1290, 730]]},
     "plateblur: dashcam-02.png: region [1200, 700, 1290, 730] in bad.jsonl does not lie within the 1280x720 photo"),
])
def test_regions_that_do_not_fit_the_photo_are_that_photos_error(found, no_model, capsys, monkeypatch, change, message):
    folder, records = found
    monkeypatch.chdir(folder)
    write_lines(folder / "bad.jsonl", [dict(records["dashcam-02.png"], **change)])
    code, out, err = run_main("-q", "--regions", "bad.jsonl", "-o", "bad", "dashcam-02.png", capsys=capsys)
    assert (code, err) == (1, message + "\n")
    assert not (folder / "bad").exists() or files_under(folder / "bad") == set()


@pytest.mark.parametrize("content, message", [
    ('{"path": "a.png", "regions": [[1, 2, 3]]}\n',
     'plateblur: broken.jsonl, line 1: "regions" must be a list of [x1, y1, x2, y2] in whole pixels'),
    ('\n{"path": "a.png", "regions": [[1.5, 2, 3, 4]]}\n',
     'plateblur: broken.jsonl, line 2: "regions" must be a list of [x1, y1, x2, y2] in whole pixels'),
    ('{"path": "a.png", "regions": []}\n{"path": "./a.png", "regions": []}\n',
     "plateblur: broken.jsonl, line 2: a second line for {folder}/a.png"),
    ("[1, 2]\n", 'plateblur: broken.jsonl, line 1: each line must be a JSON object with a "path"'),
    ('{"path": "a.png", "regions": [[1, 2, 30, 40], [30, 2, 10, 40]]}\n',
     "plateblur: broken.jsonl, line 1: region [30, 2, 10, 40] is inverted: x2 must be greater than x1, "
     "and y2 greater than y1"),
    ('{"path": "a.png", "regions": [[1, 40, 30, 2]]}\n',
     "plateblur: broken.jsonl, line 1: region [1, 40, 30, 2] is inverted: x2 must be greater than x1, "
     "and y2 greater than y1"),
    ('{"path": "a.png", "regions": [[10, 2, 10.0, 40]]}\n',
     "plateblur: broken.jsonl, line 1: region [10, 2, 10, 40] is empty: x2 must be greater than x1, "
     "and y2 greater than y1"),
])
def test_a_broken_regions_file_stops_the_run_before_anything_is_written(tmp_path, capsys, monkeypatch, no_model,
                                                                       content, message):
    monkeypatch.chdir(tmp_path)
    copy_sample("dashcam-02.png", tmp_path)
    (tmp_path / "broken.jsonl").write_text(content)
    before = files_under(tmp_path)
    code, out, err = run_main("--regions", "broken.jsonl", "-o", "out", "dashcam-02.png", capsys=capsys)
    assert (code, err) == (1, message.format(folder=tmp_path.resolve()) + "\n")
    assert files_under(tmp_path) == before


def test_an_error_line_from_json_is_left_out(tmp_path, capsys, monkeypatch, no_model):
    monkeypatch.chdir(tmp_path)
    copy_sample("noplate-10.jpg", tmp_path)
    write_lines(tmp_path / "mixed.jsonl", [{"path": "notes.jpg", "error": "not an image"},
                                           {"path": "noplate-10.jpg", "width": 1280, "height": 300, "regions": []}])
    code, out, err = run_main("--json", "--regions", "mixed.jsonl", "noplate-10.jpg", capsys=capsys)
    assert code == 0 and json_lines(out) == [{"path": "noplate-10.jpg", "width": 1280, "height": 300, "boxes": [],
                                              "box_kinds": [], "regions": [], "kinds": []}]


def test_relative_paths_are_taken_from_the_regions_files_folder(tmp_path, capsys, monkeypatch, no_model):
    """photos/given.jsonl names "dashcam-02.png" (beside it) and the other photo by its absolute path;
    the run is started from the folder above, and then from somewhere else entirely."""
    photos = tmp_path / "photos"
    copy_sample("dashcam-02.png", photos)
    copy_sample("noplate-10.jpg", photos)
    write_lines(photos / "given.jsonl", [{"path": "dashcam-02.png", "regions": [FALSE]},
                                         {"path": str(photos / "noplate-10.jpg"), "regions": [FALSE]}])
    for cwd, prefix in ((tmp_path, "photos/"), (tmp_path / "elsewhere", f"{photos}/")):
        cwd.mkdir(exist_ok=True)
        monkeypatch.chdir(cwd)
        code, out, err = run_main("--json", "--regions", f"{prefix}given.jsonl", f"{prefix}dashcam-02.png",
                                  f"{prefix}noplate-10.jpg", capsys=capsys)
        assert (code, err) == (0, ""), err
        assert [r["regions"] for r in json_lines(out)] == [[FALSE], [FALSE]]


def test_a_video_with_regions_is_told_that_regions_are_for_photos(tmp_path, capsys, monkeypatch, no_model):
    from tools.testkit import media

    monkeypatch.chdir(tmp_path)
    copy_sample("noplate-10.jpg", tmp_path)
    (tmp_path / "clip.mp4").write_bytes(media.media_path("pan.mp4").read_bytes())
    write_lines(tmp_path / "given.jsonl", [{"path": "clip.mp4", "regions": [FALSE]},
                                           {"path": "noplate-10.jpg", "regions": [FALSE]}])
    code, out, err = run_main("-q", "--regions", "given.jsonl", "-o", "out", "clip.mp4", "noplate-10.jpg",
                              capsys=capsys)
    assert code == 1
    assert err == ("plateblur: clip.mp4: regions files are for photos only; run videos without --regions "
                   "(the model finds the plates in every frame)\n")
    assert files_under(tmp_path / "out") == {"noplate-10.jpg"}
