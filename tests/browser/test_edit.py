"""Check and correct a photo in the page: remove proposed regions, draw missed plates, undo, by
mouse, keyboard and touch; the download (and "Download all") has exactly the regions shown."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from tests.support.helpers import coverage, detail_energy, load_plates, outside_mask
from tools.testkit import MEDIA
from tools.testkit.page_driver import App

PLATES = {p["file"]: p["plates_xyxy"] for p in load_plates()}
JPEG_MEAN_ERROR = 1.5      # re-encoding at quality 95, 4:4:4 (as in test_photos.py)
JPEG_P999_ERROR = 24
MARGIN = 4                 # px drawn around a plate


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(np.int16)


def original(name: str) -> np.ndarray:
    return pixels((MEDIA / name).read_bytes())


@pytest.fixture(scope="module")
def uploaded(app):
    app.upload([MEDIA / "dashcam-02.png", MEDIA / "noplate-10.jpg"])
    return app


def settle(app: App, result) -> None:
    """Wait until the result's download reflects the latest edit."""
    app.page.wait_for_function("el => el.dataset.state !== 'working'", arg=result.element_handle(), timeout=60_000)
    assert result.get_attribute("data-state") == "done", result.locator(".status").text_content()


def photo_point(result, x: float, y: float) -> tuple[float, float]:
    """Page coordinates of photo pixel (x, y), by the editor hook's contract."""
    editor = result.locator("[data-role=editor]")
    editor.scroll_into_view_if_needed()
    box = editor.bounding_box()
    w, h = Image.open(MEDIA / result.locator(".name").text_content()).size
    return box["x"] + x / w * box["width"], box["y"] + y / h * box["height"]


def drag(app: App, result, x1: float, y1: float, x2: float, y2: float) -> None:
    mouse = app.page.mouse
    mouse.move(*photo_point(result, x1, y1))
    mouse.down()
    mouse.move(*photo_point(result, x2, y2), steps=5)
    mouse.up()


def around(box, margin: float = MARGIN) -> list[float]:
    return [box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin]


def assert_hidden(image: np.ndarray, before: np.ndarray, box) -> None:
    x1, y1, x2, y2 = int(np.ceil(box[0])), int(np.ceil(box[1])), int(box[2]), int(box[3])
    assert detail_energy(image[y1:y2, x1:x2]) <= 0.1 * detail_energy(before[y1:y2, x1:x2]), f"plate {box} readable"


def test_the_editor_shows_the_whole_photo_at_its_aspect_ratio(uploaded):
    result = uploaded.result("dashcam-02.png")
    box = result.locator("[data-role=editor]").bounding_box()
    assert abs(box["width"] / box["height"] - 1280 / 720) < 0.01
    regions = uploaded.data(result, "regions")
    assert result.locator("[data-action=remove-region]").count() == len(regions) >= 3


def test_keyboard_users_reach_and_remove_a_region_and_undo(uploaded):
    app, result = uploaded, uploaded.result("dashcam-02.png")
    proposed = app.data(result, "regions")
    result.locator("[data-action=outlines]").focus()
    app.page.keyboard.press("Shift+Tab")
    focused = app.page.evaluate("document.activeElement.dataset.action")
    assert focused == "remove-region"
    app.page.keyboard.press("Delete")
    settle(app, result)
    assert app.data(result, "regions") == proposed[:-1]
    assert app.page.evaluate("document.activeElement.dataset.action") in ("remove-region", "undo"), \
        "focus stays in the editor"
    app.page.keyboard.press("Control+z")
    settle(app, result)
    assert app.data(result, "regions") == proposed


def test_remove_every_proposal_draw_one_over_a_plate_and_undo(uploaded):
    app, result, name = uploaded, uploaded.result("dashcam-02.png"), "dashcam-02.png"
    proposed = app.data(result, "regions")
    controls = result.locator("[data-action=remove-region]")
    while controls.count():
        controls.first.click()
    settle(app, result)
    assert app.data(result, "regions") == []
    assert np.array_equal(pixels(app.download(result)[1]), original(name)), "nothing obscured any more"

    plate = PLATES[name][0]
    drag(app, result, *around(plate))
    settle(app, result)
    (region,) = app.data(result, "regions")
    assert coverage(plate, [region], (720, 1280)) >= 0.999
    assert np.abs(np.subtract(region, around(plate))).max() <= 2, f"{region} is not what was drawn"
    assert result.locator(".summary").text_content() == \
        f"1 region obscured (1 drawn, {len(proposed)} removed by you) · 1280×720"
    image, before = pixels(app.download(result)[1]), original(name)
    assert_hidden(image, before, plate)
    outside = outside_mask((720, 1280), [region])
    assert np.array_equal(image[outside], before[outside]), "only the drawn region changed"

    # settings re-render keeps the edits: the drawn region as drawn, the removed ones removed
    app.page.select_option("#controls select[name=mode]", "fill")
    app.page.eval_on_selector("#controls input[name=conf]",
                              "el => { el.value = '0.05'; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    app.page.wait_for_timeout(300)
    settle(app, result)
    assert app.data(result, "regions") == [region]
    x1, y1, x2, y2 = region
    assert (pixels(app.download(result)[1])[y1:y2, x1:x2] == 0).all()
    app.page.click("#reset-settings")
    app.page.wait_for_timeout(300)
    settle(app, result)

    zipped = download_all(app)
    assert zipped["dashcam-02_anonymised.png"] == app.download(result)[1], "Download all has the edited photo"

    result.locator("[data-action=undo]").click()
    settle(app, result)
    assert app.data(result, "regions") == [], "the drawing is undone"
    result.locator("[data-action=undo]").click()
    settle(app, result)
    assert len(app.data(result, "regions")) == 1 and app.data(result, "regions")[0] in proposed


def download_all(app: App) -> dict[str, bytes]:
    with app.page.expect_download() as info:
        app.page.click("#download-all")
    with zipfile.ZipFile(info.value.path()) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def test_a_false_region_removed_leaves_the_photo_as_it_was(uploaded):
    app, result, name = uploaded, uploaded.result("noplate-10.jpg"), "noplate-10.jpg"
    false = [500, 100, 700, 160]
    drag(app, result, *false)
    settle(app, result)
    (region,) = app.data(result, "regions")
    x1, y1, x2, y2 = region
    image, before = pixels(app.download(result)[1]), original(name)
    assert np.abs(image[y1:y2, x1:x2] - before[y1:y2, x1:x2]).mean() > 3, "the drawn region is obscured"

    result.locator("[data-action=remove-region]").click()
    settle(app, result)
    assert app.data(result, "regions") == []
    assert result.locator(".summary").text_content() == "0 regions obscured · 1280×300"
    error = np.abs(pixels(app.download(result)[1]) - before)
    assert error.mean() < JPEG_MEAN_ERROR and np.percentile(error, 99.9) <= JPEG_P999_ERROR


def test_a_setting_changed_during_detection_reaches_the_download(uploaded):
    app, name = uploaded, "dashcam-01.png"
    app.page.evaluate("document.querySelectorAll('.result .remove').forEach(b => b.click())")   # the only photo
    app.page.set_input_files("input[type=file]", [str(MEDIA / name)])
    # the original is shown in the same task that hands the photo and the settings to the worker
    app.page.wait_for_function("() => [...document.querySelectorAll('.result')].some(r => r.dataset.state === "
                               "'working' && r.querySelector('.before').getAttribute('src'))", timeout=60_000)
    app.page.select_option("#controls select[name=mode]", "fill")
    app.wait_settled(1)
    result = app.result(name)
    regions = app.data(result, "regions")
    image = pixels(app.download(result)[1])
    assert regions and all((image[y1:y2, x1:x2] == 0).all() for x1, y1, x2, y2 in regions), "filled, not blurred"
    app.page.click("#reset-settings")
    app.page.wait_for_timeout(300)
    app.wait_settled(1)


def test_touch_removes_and_draws(browser, site_url):
    app = App(browser, site_url, has_touch=True, is_mobile=True, viewport={"width": 412, "height": 860}).open()
    try:
        name = "dashcam-04.png"
        app.upload([MEDIA / name])
        result = app.result(name)
        assert app.data(result, "regions"), "the detector proposes the plate"
        controls = result.locator("[data-action=remove-region]")
        while controls.count():
            controls.first.tap()
        settle(app, result)
        assert app.data(result, "regions") == []

        plate = PLATES[name][0]
        editor = result.locator("[data-role=editor]")
        (x1, y1), (x2, y2) = photo_point(result, *around(plate)[:2]), photo_point(result, *around(plate)[2:])
        touch = {"pointerType": "touch", "pointerId": 7, "isPrimary": True, "bubbles": True}
        editor.dispatch_event("pointerdown", {**touch, "clientX": x1, "clientY": y1, "buttons": 1})
        for t in (0.3, 0.7, 1):
            editor.dispatch_event("pointermove", {**touch, "clientX": x1 + t * (x2 - x1), "clientY": y1 + t * (y2 - y1),
                                                  "buttons": 1})
        editor.dispatch_event("pointerup", {**touch, "clientX": x2, "clientY": y2})
        settle(app, result)
        (region,) = app.data(result, "regions")
        assert coverage(plate, [region], (720, 1280)) >= 0.999
        image = pixels(app.download(result)[1])
        assert_hidden(image, original(name), plate)
        assert not app.errors, app.errors
    finally:
        app.close()
