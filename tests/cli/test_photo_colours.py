"""A real CLI run keeps a PNG's bit depth and colour type (tests/unit/test_photo_colours.py has the
cases): a 16-bit RGB and a 16-bit grey photo with plates come back 16-bit, the detector's regions
obscured and every other pixel as it was. ffmpeg makes the inputs and reads the results."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from tests.cli.cli_run import copy_sample, json_lines, run_cli

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg makes and reads 16-bit PNGs")


def _pixels(path, pix_fmt: str) -> np.ndarray:
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=pix_fmt,width,height", "-of",
                            "csv=p=0", str(path)], capture_output=True, text=True, check=True).stdout
    width, height, found = probe.strip().split(",")
    assert found == pix_fmt
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, ">u2").reshape(int(height), int(width), -1)


@pytest.mark.parametrize("pix_fmt", ["rgb48be", "gray16be"])
def test_a_sixteen_bit_png_comes_back_sixteen_bit_with_its_plates_hidden(tmp_path, pix_fmt):
    copy_sample("dashcam-01.png", tmp_path, "eight.png")
    subprocess.run(["ffmpeg", "-v", "error", "-i", "eight.png", "-vf", "noise=alls=8:allf=t", "-pix_fmt", pix_fmt,
                    "car.png"], cwd=tmp_path, check=True)        # noise: the low bytes are not all alike
    source = _pixels(tmp_path / "car.png", pix_fmt)

    found = run_cli("--json", "car.png", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    [record] = json_lines(found.stdout)
    assert record["regions"], "the sample has plates"
    written = run_cli("-o", "out", "car.png", cwd=tmp_path)
    assert written.returncode == 0, written.stderr

    result = _pixels(tmp_path / "out" / "car.png", pix_fmt)
    inside = np.zeros(source.shape[:2], bool)
    for x1, y1, x2, y2 in record["regions"]:
        inside[y1:y2, x1:x2] = True
    np.testing.assert_array_equal(result[~inside], source[~inside])
    assert (result[inside] != source[inside]).any(axis=-1).mean() > 0.9
    assert (result[inside] % 257 == 0).all(), "inside: the obscured 8-bit values, no low bits of the plate"
