"""Faces on the command line: --hide, each region's kind in --json and back through --regions, and
never a silent half (faces asked for, no face model: one clear line, nothing written)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.cli.cli_run import files_under, json_lines, run_main
from tools.testkit import FACE_BOX as FACE
from tools.testkit import FACE_PHOTO

PHOTO = "car-wash.webp"


def copy_photo(folder) -> Path:
    return Path(shutil.copyfile(FACE_PHOTO, folder / PHOTO))


def covered(region, box) -> bool:
    x1, y1, x2, y2 = region
    return x1 <= box[0] and y1 <= box[1] and x2 >= box[2] and y2 >= box[3]


def test_faces_are_hidden_by_default_and_kinds_name_each_region(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy_photo(tmp_path)
    code, out, err = run_main("--json", PHOTO, capsys=capsys)
    [record] = json_lines(out)
    assert code == 0 and len(record["kinds"]) == len(record["regions"])
    faces = [r for r, kind in zip(record["regions"], record["kinds"]) if kind == "face"]
    assert any(covered(r, FACE) for r in faces), (faces, err)
    assert "plate" in record["kinds"]
    code, out, err = run_main("-o", "out", PHOTO, capsys=capsys)
    assert code == 0 and re.search(r"; \d+ plates?, [1-9]\d* faces? found;", err.splitlines()[-1]), err


def test_hide_plates_gives_the_plates_only_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy_photo(tmp_path)
    code, out, err = run_main("--json", "--hide", "plates", PHOTO, capsys=capsys)
    [record] = json_lines(out)
    assert code == 0 and set(record["kinds"]) == {"plate"} and set(record["box_kinds"]) == {"plate"}
    code, out, err = run_main("--hide", "plates", "-o", "out", PHOTO, capsys=capsys)
    assert re.search(r"; \d+ plates? found;", err.splitlines()[-1]), "no word of faces: none were looked for"


def test_hide_faces_only_still_obscures_the_face(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy_photo(tmp_path)
    code, out, err = run_main("--hide", "faces", "--mode", "fill", "-o", "out", PHOTO, capsys=capsys)
    assert code == 0, err
    result = np.asarray(Image.open(tmp_path / "out" / PHOTO).convert("RGB")).astype(int)
    x1, y1, x2, y2 = FACE
    assert result[y1:y2, x1:x2].std() < 8, "the face is under one flat fill"


def test_a_wrong_hide_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        run_main("--hide", "cars", "x.jpg", capsys=capsys)
    assert stopped.value.code == 2
    assert "--hide: expected plates,faces or one of them, not 'cars'" in capsys.readouterr().err


def test_kinds_go_back_in_through_regions(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy_photo(tmp_path)
    code, out, _ = run_main("--json", PHOTO, capsys=capsys)
    (tmp_path / "found.jsonl").write_text(out)
    code, out, err = run_main("--json", "--regions", "found.jsonl", PHOTO, capsys=capsys)
    [first], [again] = json_lines((tmp_path / "found.jsonl").read_text()), json_lines(out)
    assert code == 0 and again["regions"] == first["regions"] and again["kinds"] == first["kinds"]
    bad = dict(first, kinds=["car"] * len(first["regions"]))
    (tmp_path / "bad.jsonl").write_text(json.dumps(bad) + "\n")
    code, out, err = run_main("--regions", "bad.jsonl", PHOTO, capsys=capsys)
    assert code == 1 and '"kinds" must be a list of plate, face, drawn' in err


def test_faces_asked_for_without_a_face_model_is_one_clear_line(tmp_path, capsys, monkeypatch):
    from plateblur.cpython import cli

    monkeypatch.chdir(tmp_path)
    copy_photo(tmp_path)
    monkeypatch.setattr(cli, "_shipped_face_model", lambda name=None: None)
    code, out, err = run_main("-o", "out", PHOTO, capsys=capsys)
    assert code == 1 and err.strip() == "plateblur: faces are to be hidden, and this installation has no face model"
    assert files_under(tmp_path) == {PHOTO}, "nothing written"
    code, out, err = run_main("--hide", "plates", "-o", "out", PHOTO, capsys=capsys)
    assert code == 0, "plates alone need no face model"


def test_a_broken_face_model_is_one_clear_line(tmp_path, capsys, monkeypatch):
    from plateblur.cpython import cli

    monkeypatch.chdir(tmp_path)
    copy_photo(tmp_path)
    broken = tmp_path / "faces.onnx"
    broken.write_bytes(b"not a model")
    monkeypatch.setattr(cli, "_shipped_face_model", lambda name=None: broken)
    code, out, err = run_main("-o", "out", PHOTO, capsys=capsys)
    assert code == 1 and err.strip() == f"plateblur: cannot use the model {broken}: it is not an ONNX model"
    assert not (tmp_path / "out").exists() or files_under(tmp_path / "out") == set()


def test_faces_in_a_video_are_hidden_in_every_frame(tmp_path, capsys, monkeypatch):
    """A 12-frame clip panning over the photo, 384 x 416 (the CLI's video path, int8 face model):
    every frame's --json line has a face region over the face, and the written frames show no detail there."""
    import av

    from tests.support.helpers import detail_energy

    monkeypatch.chdir(tmp_path)
    photo = np.asarray(Image.open(copy_photo(tmp_path)).convert("RGB"))
    shifts = range(0, 24, 2)
    with av.open(str(tmp_path / "walk.mp4"), "w") as out:
        stream = out.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = 384, 416, "yuv420p"
        stream.options = {"crf": "12"}
        for dx in shifts:
            frame = np.ascontiguousarray(photo[:, dx:dx + 384])
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())
    code, out, err = run_main("--json", "walk.mp4", capsys=capsys)
    records = json_lines(out)
    assert code == 0 and len(records) == len(shifts), err
    x1, y1, x2, y2 = FACE
    for dx, record in zip(shifts, records):
        face = (x1 - dx, y1, x2 - dx, y2)
        faces = [r for r, kind in zip(record["regions"], record["kinds"]) if kind == "face"]
        assert any(covered(r, face) for r in faces), (record["frame"], faces)
    code, _, err = run_main("-o", "out", "walk.mp4", capsys=capsys)
    assert code == 0 and re.search(r"up to \d+ plates?, [1-9]\d* faces? in a frame", err), err
    with av.open(str(tmp_path / "out" / "walk.mp4")) as written:
        frames = [f.to_ndarray(format="rgb24").astype(np.int16) for f in written.decode(video=0)]
    assert len(frames) == len(shifts)
    for dx, frame in zip(shifts, frames):
        before = detail_energy(photo[y1:y2, x1:x2].astype(np.int16))
        after = detail_energy(frame[y1:y2, x1 - dx:x2 - dx])
        assert after <= 0.2 * before, f"shift {dx}: face shown with detail {after:.0f} of {before:.0f}"
