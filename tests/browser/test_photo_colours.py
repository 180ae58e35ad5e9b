"""The page keeps a PNG's colour type and bit depth as the CLI does (the same imageio.py, in
Pyodide's Pillow): a 16-bit RGB photo comes back 16-bit, its regions obscured, every other pixel
whole; a grey one comes back grey."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from tools.testkit import MEDIA

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg makes and reads 16-bit PNGs")


def _rgb48(path) -> np.ndarray:
    with Image.open(path) as img:
        w, h = img.size
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb48be", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, ">u2").reshape(h, w, 3)


def test_sixteen_bit_and_grey_pngs_keep_their_kind(app, tmp_path):
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(MEDIA / "dashcam-01.png"), "-vf", "noise=alls=8:allf=t",
                    "-pix_fmt", "rgb48be", str(tmp_path / "deep.png")], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(MEDIA / "dashcam-01.png"), "-pix_fmt", "gray",
                    str(tmp_path / "grey.png")], check=True)
    app.upload([tmp_path / "deep.png", tmp_path / "grey.png"])

    result = app.result("deep.png")
    assert result.get_attribute("data-state") == "done", result.locator(".status").text_content()
    regions = app.data(result, "regions")
    assert regions, "the sample has plates"
    _, data = app.download(result)
    assert (data[24], data[25]) == (16, 2), "a 16-bit RGB PNG"
    (tmp_path / "out.png").write_bytes(data)
    before, after = _rgb48(tmp_path / "deep.png"), _rgb48(tmp_path / "out.png")
    inside = np.zeros(before.shape[:2], bool)
    for x1, y1, x2, y2 in regions:
        inside[y1:y2, x1:x2] = True
    np.testing.assert_array_equal(after[~inside], before[~inside])
    assert (after[inside] != before[inside]).any(axis=-1).mean() > 0.9

    result = app.result("grey.png")
    assert result.get_attribute("data-state") == "done", result.locator(".status").text_content()
    _, data = app.download(result)
    (tmp_path / "grey-out.png").write_bytes(data)
    with Image.open(tmp_path / "grey-out.png") as img:
        assert img.mode == "L"
    assert not app.errors, app.errors
