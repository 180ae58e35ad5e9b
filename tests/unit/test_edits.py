"""A person's corrections (edits.py) and the page's photo use case re-rendering with them."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from tests.support.helpers import BrightBoxModel, encode_image, make_detections, make_frame

from plateblur.browser.photos import Photos
from plateblur.edits import EditError, Edits, plan_regions
from plateblur.frames import run_sync
from plateblur.settings import Settings

WH = (400, 300)
DETECTIONS = make_detections([[100, 150, 180, 170], [300, 40, 340, 60], [20, 250, 60, 262]], [0.9, 0.5, 0.2])


def test_without_edits_the_planned_regions_are_what_the_pipeline_obscures():
    from plateblur import pipeline
    settings = Settings(conf=0.3)
    rendered = pipeline.render(make_frame(*WH), DETECTIONS, settings)
    planned = plan_regions(DETECTIONS, WH, settings)
    assert planned.regions.tolist() == rendered.regions.tolist()
    assert planned.ids == ["d0", "d1"]


def test_a_removed_proposal_stays_removed_at_any_threshold_and_padding():
    edits = Edits(removed=frozenset({1}))
    for settings in (Settings(conf=0.1), Settings(conf=0.3, pad=0.5), Settings(conf=0.05, pad=0)):
        assert "d1" not in plan_regions(DETECTIONS, WH, settings, edits).ids
    assert plan_regions(DETECTIONS, WH, Settings(conf=0.1), edits).ids == ["d0", "d2"]


def test_a_drawn_region_is_obscured_exactly_as_drawn_whatever_the_settings():
    edits = Edits(added=((250.4, 90.6, 210.2, 120),))      # drawn right to left: put in order
    for settings in (Settings(conf=0.9, pad=0), Settings(conf=0.05, pad=0.6)):
        planned = plan_regions(DETECTIONS, WH, settings, edits)
        assert planned.ids[-1] == "a0" and planned.regions[-1].tolist() == [210, 90, 251, 120]
    outside = plan_regions(DETECTIONS, WH, Settings(), Edits(added=((390, 290, 500, 400), (500, 10, 600, 20))))
    assert outside.regions[-1].tolist() == [390, 290, 400, 300] and outside.ids[-1] == "a0", \
        "clipped to the photo; a region wholly outside it hides nothing"


@pytest.mark.parametrize("plain, message", [
    ({"removed": [3]}, "a removed proposal is not one of the photo's 3"),
    ({"removed": ["x"]}, None),
    ({"added": [[1, 2, 3]]}, "a drawn region must be four finite numbers x1, y1, x2, y2"),
    ({"added": [[1, 2, 3, float("nan")]]}, "a drawn region must be four finite numbers x1, y1, x2, y2"),
])
def test_edits_that_do_not_fit_the_photo_are_refused(plain, message):
    with pytest.raises(EditError) as info:
        Edits.from_plain(plain, len(DETECTIONS))
    if message:
        assert str(info.value) == message


class AsyncModel:
    dynamic = False                 # a fixed-size input, like the shipped 640x640 export

    def __init__(self):
        self.model, self.input_wh, self.runs = BrightBoxModel(), (640, 640), 0

    async def __call__(self, tensor):
        self.runs += 1
        return self.model(tensor)


def photo() -> tuple[bytes, np.ndarray]:
    frame = make_frame(400, 300, 30)
    frame[150:170, 100:180] = 230
    frame[40:60, 300:340] = (10, 200, 90)
    return encode_image(frame, "PNG"), frame


def decoded(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_edits_rerender_without_the_model_and_later_settings_keep_them():
    photos, model = Photos(), AsyncModel()
    data, frame = photo()
    first = run_sync(photos.process("a", data, Settings(mode="fill"), model))
    assert first["region_ids"] == ["d0"] and first["removed"] == [] and first["added"] == []
    edited = photos.edit("a", data, Settings(mode="fill"), {"removed": [0], "added": [[300, 40, 340, 60]]})
    assert model.runs == 1, "an edit must not run the model"
    assert edited["regions"] == [[300, 40, 340, 60]] and edited["region_ids"] == ["a0"] and edited["boxes"] == []
    image = decoded(edited["data"])
    assert (image[40:60, 300:340] == 0).all(), "the drawn region is filled"
    assert np.array_equal(image[150:170, 100:180], frame[150:170, 100:180]), "the removed one is untouched"
    padded = photos.rerender("a", data, Settings(mode="fill", pad=0.5, conf=0.05))
    assert padded["regions"] == [[300, 40, 340, 60]] and padded["removed"] == [0], "settings keep the edits"
    undone = photos.edit("a", data, Settings(mode="fill"), {})
    assert undone["regions"] == first["regions"] and undone["data"] == first["data"]
    assert model.runs == 1
    photos.forget("a")
    assert "a" not in photos.edits


def test_processing_a_photo_again_starts_without_edits():
    photos, model = Photos(), AsyncModel()
    data, _ = photo()
    run_sync(photos.process("a", data, Settings(), model))
    photos.edit("a", data, Settings(), {"removed": [0]})
    again = run_sync(photos.process("a", data, Settings(), model))
    assert again["region_ids"] == ["d0"] and again["removed"] == []
