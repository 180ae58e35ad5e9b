"""Large photos: a small plate far below the model's resolution is found through tiling."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from plateblur import Settings, pipeline
from plateblur.imageio import decode_photo
from tests.support.helpers import MODEL_PATH, coverage
from tools.testkit import MEDIA

onnx_model = pytest.importorskip("plateblur.cpython.onnx_model")
SCALE, ORIGIN = 0.6, (2500, 1900)


@pytest.fixture(scope="module")
def model():
    return onnx_model.OnnxModel(MODEL_PATH)


@pytest.fixture(scope="module")
def phone_photo():
    """A 4000x3000 photo with dashcam-03's scene shrunk into one corner: its plate is 52 px wide."""
    scene = decode_photo((MEDIA / "dashcam-03.png").read_bytes()).rgb
    w, h = round(scene.shape[1] * SCALE), round(scene.shape[0] * SCALE)
    photo = np.full((3000, 4000, 3), 90, np.uint8)
    x, y = ORIGIN
    photo[y:y + h, x:x + w] = np.asarray(Image.fromarray(scene).resize((w, h), Image.BILINEAR))
    plate = np.array([190.8, 427.4, 277.3, 450.0]) * SCALE + [x, y, x, y]
    return photo, plate


@pytest.mark.parametrize("max_downscale, found", [(2.0, True), (100.0, False)])
def test_tiling_finds_a_small_plate_in_a_large_photo(model, phone_photo, max_downscale, found):
    photo, plate = phone_photo
    settings = Settings(max_downscale=max_downscale)
    rendered = pipeline.render(photo, pipeline.detect(photo, model, model.input_wh, settings, model.dynamic), settings)
    assert (coverage(plate, rendered.regions, photo.shape[:2]) >= 0.9) is found


def test_tiles_report_no_tile_sized_boxes_on_flat_areas(model, phone_photo):
    photo, _ = phone_photo
    settings = Settings()
    kept = pipeline.select(pipeline.detect(photo, model, model.input_wh, settings, model.dynamic), settings.conf)
    sizes = kept.xyxy[:, 2:] - kept.xyxy[:, :2]
    assert (sizes < 200).all(), kept.to_rows()
