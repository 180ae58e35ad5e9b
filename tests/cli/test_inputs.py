"""What a run takes: anything that is not a regular file is skipped unopened, a file met twice is
taken once, results that differ only by extension keep it (numbers only for real clashes), and a
name with control characters cannot break a line of what the run prints."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest
from PIL import Image

from tests.cli.cli_run import SUMMARY, cli_env, copy_sample, files_under, run_main

NOT_REGULAR = "not a regular file (a FIFO, socket or device), not opened"


def run_with_timeout(*args, cwd, timeout=90) -> subprocess.CompletedProcess:
    """The CLI as a subprocess that must end by itself: a FIFO opened would block it for good."""
    return subprocess.run([sys.executable, "-m", "plateblur", *map(str, args)], cwd=cwd, env=cli_env(),
                          capture_output=True, text=True, timeout=timeout)


# --- not a regular file ------------------------------------------------------------------------

def test_a_fifo_given_is_skipped_unopened_and_the_rest_goes_on(tmp_path):
    os.mkfifo(tmp_path / "fifo.jpg")
    copy_sample("openimages-08.jpg", tmp_path, "car.jpg")
    result = run_with_timeout("-o", "out", "fifo.jpg", "car.jpg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[-2] == f"plateblur: skipped fifo.jpg ({NOT_REGULAR})"
    assert re.fullmatch(SUMMARY.format(done=1, failed=0, skipped=1), lines[-1])
    assert files_under(tmp_path / "out") == {"car.jpg"}


def test_a_run_with_nothing_to_do_ends_in_one_line(tmp_path):
    os.mkfifo(tmp_path / "fifo.jpg")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("no photo")
    result = run_with_timeout("-o", "out", "fifo.jpg", "notes", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"plateblur: skipped fifo.jpg ({NOT_REGULAR})",
                                          "plateblur: skipped notes/a.txt (unknown type)",
                                          "plateblur: no photos or videos to anonymise among the inputs (2 skipped)"]


def test_fifos_and_sockets_met_by_recursive_are_skipped_unopened(tmp_path):
    copy_sample("openimages-08.jpg", tmp_path / "in", "car.jpg")
    os.mkfifo(tmp_path / "in" / "pipe.mp4")
    (tmp_path / "in" / "deep").mkdir()
    os.mkfifo(tmp_path / "in" / "deep" / "pipe.png")
    os.symlink("../pipe.mp4", tmp_path / "in" / "deep" / "link.jpg")            # a link to a FIFO too
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "in" / "sock.webp"))
    try:
        result = run_with_timeout("-r", "in", "-o", "out", cwd=tmp_path)
    finally:
        server.close()
    assert result.returncode == 0, result.stderr
    skipped = {line for line in result.stderr.splitlines() if line.startswith("plateblur: skipped")}
    assert skipped == {f"plateblur: skipped in/{name} ({NOT_REGULAR})"
                       for name in ("pipe.mp4", "sock.webp", "deep/link.jpg", "deep/pipe.png")}
    assert re.fullmatch(SUMMARY.format(done=1, failed=0, skipped=4), result.stderr.splitlines()[-1])
    assert files_under(tmp_path / "out") == {"car.jpg"}


def test_a_photo_that_became_a_fifo_after_listing_is_refused_without_waiting(tmp_path):
    from plateblur.cpython.batch import read_photo
    from plateblur.imageio import ImageError

    os.mkfifo(tmp_path / "late.jpg")
    with pytest.raises(ImageError, match="not a regular file"):
        read_photo(tmp_path / "late.jpg")          # would block here if it waited for a writer


# --- a file met twice ----------------------------------------------------------------------------

def test_the_same_file_given_twice_or_found_again_is_done_once(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    copy_sample("openimages-08.jpg", tmp_path / "d", "a.jpg")
    copy_sample("openimages-09.jpg", tmp_path / "d", "b.jpg")
    os.symlink("d/a.jpg", tmp_path / "alias.jpg")
    code, _, err = run_main("-r", "-o", "out", "d/a.jpg", "./d/../d/a.jpg", "alias.jpg", "d", capsys=capsys)
    assert code == 0, err
    assert files_under(tmp_path / "out") == {"a.jpg", "b.jpg"}          # no a_2.jpg: a.jpg is done once
    lines = err.splitlines()
    assert [line for line in lines if line.startswith("plateblur: skipped")] == [
        f"plateblur: skipped {name} (the same file as d/a.jpg, taken once)"
        for name in ("d/../d/a.jpg", "alias.jpg", "d/a.jpg")]
    assert re.fullmatch(SUMMARY.format(done=2, failed=0, skipped=3), lines[-1])


# --- results keep their extension ----------------------------------------------------------------

def test_results_that_differ_only_by_extension_keep_it_and_are_not_numbered(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    copy_sample("dashcam-01.png", tmp_path, "gray.png")
    copy_sample("openimages-08.jpg", tmp_path, "gray.jpg")
    copy_sample("openimages-09.jpg", tmp_path, "gray.jpeg")          # a real clash with gray.jpg's result
    code, _, err = run_main("-q", "gray.png", "gray.jpg", "gray.jpeg", capsys=capsys)
    assert (code, err) == (0, "")
    assert files_under(tmp_path) == {"gray.png", "gray.jpg", "gray.jpeg", "gray_anonymised.png",
                                     "gray_anonymised.jpg", "gray_anonymised_2.jpg"}
    for result, source in {"gray_anonymised.png": "gray.png", "gray_anonymised.jpg": "gray.jpg",
                           "gray_anonymised_2.jpg": "gray.jpeg"}.items():
        assert Image.open(tmp_path / result).size == Image.open(tmp_path / source).size


def test_a_photo_named_as_another_format_never_takes_a_name_another_result_has(tmp_path, monkeypatch, capsys):
    """b.png holds a JPEG: its result would be b_anonymised.jpg, the name b.jpg's result has; it fails
    alone (even with --overwrite), and no result is replaced."""
    monkeypatch.chdir(tmp_path)
    copy_sample("openimages-08.jpg", tmp_path, "b.jpg")
    copy_sample("openimages-09.jpg", tmp_path, "b.png")                   # a JPEG named .png
    copy_sample("openimages-09.jpg", tmp_path, "c.png")                   # so is this one, alone
    code, _, err = run_main("-q", "--overwrite", "b.jpg", "b.png", "c.png", capsys=capsys)
    assert code == 1
    assert err == ("plateblur: b.png: the file is a JPEG photo named .png, and its result would take the name of "
                   "another result of this run; rename it to .jpg\n")
    assert files_under(tmp_path) == {"b.jpg", "b.png", "c.png", "b_anonymised.jpg", "c_anonymised.jpg"}
    assert Image.open(tmp_path / "b_anonymised.jpg").size == Image.open(tmp_path / "b.jpg").size


# --- names shown safely --------------------------------------------------------------------------

def test_control_characters_in_names_never_break_a_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    copy_sample("openimages-08.jpg", tmp_path, "new\nline.jpg")
    (tmp_path / "bad\x1b[2J\r.jpg").write_bytes(b"not a photo")
    raw = os.fsdecode(b"caf\xe9.jpg")                  # a Latin-1 name: not UTF-8
    copy_sample("openimages-09.jpg", tmp_path, raw)
    code, _, err = run_main("new\nline.jpg", "bad\x1b[2J\r.jpg", raw, "-o", "out", capsys=capsys)
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 4, err
    assert re.fullmatch(r"\[1/3\] new\\nline\.jpg -> out/new\\nline\.jpg: \d+ plates?, \d+ faces?", lines[0])
    assert lines[1].startswith(r"plateblur: bad\x1b[2J\r.jpg: ")
    assert re.fullmatch(r"\[3/3\] caf\\xe9\.jpg -> out/caf\\xe9\.jpg: \d+ plates?, \d+ faces?", lines[2])
    assert re.fullmatch(SUMMARY.format(done=2, failed=1, skipped=0), lines[3])
    assert files_under(tmp_path / "out") == {"new\nline.jpg", raw}


def test_shown_escapes_what_would_break_or_reorder_a_line():
    from plateblur.cpython.progress import shown

    assert shown("a\nb\tc\r") == r"a\nb\tc\r"
    assert shown("x\x00\x7f\x9b") == r"x\x00\x7f\x9b"
    assert shown("evil\u202egpj.exe") == r"evil\u202egpj.exe"          # a right-to-left override
    assert shown("Straße, 東京, café 🚗") == "Straße, 東京, café 🚗"
