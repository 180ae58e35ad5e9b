"""The thorough search: a photo turned sideways has its plates found and obscured when it is on."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.support.helpers import coverage, load_plates
from tools.testkit import MEDIA


@pytest.fixture(scope="module")
def sideways(tmp_path_factory):
    """openimages-09.jpg turned a quarter clockwise (pixels, no EXIF hint), and its plates' boxes: four
    plates, of which the shipped detector finds one without the thorough search (dashcam-02.png, used
    before detector v3, is now found sideways without it)."""
    folder = tmp_path_factory.mktemp("sideways")
    image = Image.open(MEDIA / "openimages-09.jpg").convert("RGB")
    h = image.height
    image.transpose(Image.Transpose.ROTATE_270).save(folder / "sideways-09.png")
    (plain := folder / "plain-09.png").write_bytes((folder / "sideways-09.png").read_bytes())
    plates = next(p["plates_xyxy"] for p in load_plates() if p["file"] == "openimages-09.jpg")
    boxes = [[h - y2, x1, h - y1, x2] for x1, y1, x2, y2 in plates]
    return folder / "sideways-09.png", plain, boxes


def test_thorough_finds_the_plates_of_a_sideways_photo(app, sideways):
    thorough_file, plain_file, boxes = sideways
    app.upload([plain_file])
    plain = app.data(app.result("plain-09.png"), "regions")
    app.page.check("#controls input[name=thorough]")
    try:
        app.upload([thorough_file])
    finally:
        app.page.uncheck("#controls input[name=thorough]")
    result = app.result("sideways-09.png")
    regions = app.data(result, "regions")
    _, data = app.download(result)
    h, w = np.asarray(Image.open(io.BytesIO(data))).shape[:2]
    missed_plain = [b for b in boxes if coverage(b, plain, (h, w)) < 0.9]
    assert missed_plain, "the shipped detector now finds these sideways plates: this test no longer shows the gain"
    assert all(coverage(b, regions, (h, w)) >= 0.9 for b in boxes), (boxes, regions)
