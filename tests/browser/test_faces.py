"""Faces in the page: hidden by default beside plates, each region's kind shown and removable, "Hide"
remembered in this browser, and no result that claims faces were hidden when the face model is missing."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from tests.support.helpers import coverage, detail_energy
from tools.testkit import FACE_BOX, FACE_PHOTO
from tools.testkit.page_driver import App

PHOTO = FACE_PHOTO                  # one clear face and a plate (tools/testkit: the face by eye)
FACES = [list(FACE_BOX)]
CAMERA_FACES = FACES                # the fake camera shows the photo itself, at its own size


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")).astype(np.int16)


def kinds(result) -> list[str]:
    return [k for k in (result.get_attribute("data-kinds") or "").split(",") if k]


def regions_of(app, result, kind: str) -> list[list[int]]:
    return [r for r, k in zip(app.data(result, "regions"), kinds(result)) if k == kind]


def changed(app, result, action) -> None:
    """Do ``action`` and wait for the card's next result (a new data-timings) or its failure."""
    result.evaluate("r => delete r.dataset.timings")
    action()
    app.page.wait_for_function("r => (r.dataset.state === 'done' && 'timings' in r.dataset) || r.dataset.state === 'error'",
                               arg=result.element_handle(), timeout=300_000)


@pytest.fixture(scope="module")
def photo(app):
    if not PHOTO.exists():
        pytest.skip(f"{PHOTO} is missing")
    app.upload([PHOTO])
    return app.result(PHOTO.name)


def test_a_photo_with_faces_comes_back_with_them_hidden(app, photo):
    assert photo.get_attribute("data-state") == "done", photo.locator(".status").text_content()
    assert kinds(photo).count("face") >= 1 and "plate" in kinds(photo), kinds(photo)
    _, data = app.download(photo)
    original, anonymised = pixels(PHOTO.read_bytes()), pixels(data)
    faces = regions_of(app, photo, "face")
    for x1, y1, x2, y2 in FACES:
        assert coverage([x1, y1, x2, y2], faces, original.shape[:2]) >= 0.95, f"face {[x1, y1, x2, y2]} not in {faces}"
        before, after = detail_energy(original[y1:y2, x1:x2]), detail_energy(anonymised[y1:y2, x1:x2])
        assert after <= 0.2 * before, f"face {[x1, y1, x2, y2]}: detail only fell from {before:.0f} to {after:.0f}"


def test_the_editor_shows_each_regions_kind(app, photo):
    controls = photo.locator("[data-action=remove-region]")
    shown = [controls.nth(i).get_attribute("data-region-kind") for i in range(controls.count())]
    assert shown == kinds(photo)
    face = photo.locator("[data-action=remove-region][data-region-kind=face]").first
    assert face.get_attribute("aria-label").startswith("Remove region") and "detected face" in face.get_attribute("aria-label")
    assert photo.locator(".region.face .kind").first.text_content() == "Face"
    faces, plates = kinds(photo).count("face"), kinds(photo).count("plate")
    assert photo.locator(".summary").text_content().startswith(
        f"{faces + plates} regions obscured: {plates} plate{'s' if plates > 1 else ''}, {faces} face{'s' if faces > 1 else ''} · ")


def test_removing_a_face_works_like_removing_a_plate(app, photo):
    faces = kinds(photo).count("face")
    changed(app, photo, photo.locator("[data-action=remove-region][data-region-kind=face]").first.click)
    assert kinds(photo).count("face") == faces - 1 and "plate" in kinds(photo)
    assert "1 removed by you" in photo.locator(".summary").text_content()
    changed(app, photo, photo.locator("[data-action=undo]").click)
    assert kinds(photo).count("face") == faces


def test_unticking_faces_leaves_plates_only_and_is_remembered(app, photo):
    page = app.page
    changed(app, photo, lambda: page.click("[data-role=hide-faces]"))
    assert set(kinds(photo)) == {"plate"}, kinds(photo)
    page.click("[data-role=hide-plates]")               # the last one ticked: it stays ticked
    assert page.is_checked("[data-role=hide-plates]")
    assert page.evaluate("window.plateblur.info.controls.hide") == ["plates", "faces"]

    page.reload()
    app.wait_ready()
    assert page.is_checked("[data-role=hide-plates]") and not page.is_checked("[data-role=hide-faces]")
    app.upload([PHOTO])
    again = app.result(PHOTO.name)
    assert set(kinds(again)) == {"plate"}, kinds(again)
    runs = page.evaluate("window.plateblur.sync.model_runs()")

    # a kind not searched for: the photo is searched again
    changed(app, again, lambda: page.click("[data-role=hide-faces]"))
    assert kinds(again).count("face") >= 1, kinds(again)
    assert page.evaluate("window.plateblur.sync.model_runs()") > runs
    page.reload()
    app.wait_ready()
    assert page.is_checked("[data-role=hide-faces]")


def test_without_the_face_model_the_page_says_so_and_hides_no_half(browser, site_url):
    app = App(browser, site_url)
    try:
        app.context.route("**/faces-centerface.onnx", lambda route: route.fulfill(status=404, body="gone"))
        app.open()
        page = app.page
        assert page.evaluate("document.body.dataset.faces") == "unavailable"
        assert "Faces cannot be hidden" in page.text_content("#load-status")
        app.upload([PHOTO])
        failed = app.result(PHOTO.name)
        assert failed.get_attribute("data-state") == "error"
        assert "faces cannot be hidden" in failed.locator(".status").text_content()
        assert failed.locator("a[download]").is_hidden()

        page.click("[data-role=hide-faces]")
        app.upload([PHOTO])
        plates = app.results().last
        assert plates.get_attribute("data-state") == "done", plates.locator(".status").text_content()
        assert set(kinds(plates)) == {"plate"}
    finally:
        app.close()


def write_y4m(path, rgb: np.ndarray, frames: int) -> None:
    """A still as a raw 4:2:0 video, for Chromium's fake camera."""
    h, w = rgb.shape[:2]
    ycbcr = Image.fromarray(rgb.astype(np.uint8)).convert("YCbCr")
    y, cb, cr = (np.asarray(band) for band in ycbcr.split())
    half = lambda plane: np.asarray(Image.fromarray(plane).resize((w // 2, h // 2), Image.BILINEAR))  # noqa: E731
    frame = b"FRAME\n" + y.tobytes() + half(cb).tobytes() + half(cr).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)


def test_the_live_camera_hides_faces_from_the_first_frame_shown(playwright, site_url, tmp_path):
    import base64

    from tools.testkit.page_driver import launch

    still = pixels(PHOTO.read_bytes())                   # 416 x 416: the camera's one window, no tiles
    write_y4m(tmp_path / "faces.y4m", still, 20)
    browser = launch(playwright, ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                                  f"--use-file-for-fake-video-capture={tmp_path / 'faces.y4m'}"])
    try:
        app = App(browser, site_url).open()
        app.page.click("[data-action=camera-start]")
        app.page.wait_for_function("() => Number(document.querySelector('canvas[data-role=live]').dataset.shown) >= 1",
                                   timeout=120_000)
        url = app.page.evaluate("document.querySelector('canvas[data-role=live]').toDataURL('image/png')")
        shown = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")).astype(np.int16)
        assert shown.shape == still.shape
        for x1, y1, x2, y2 in CAMERA_FACES:
            before, after = detail_energy(still[y1:y2, x1:x2]), detail_energy(shown[y1:y2, x1:x2])
            assert after <= 0.2 * before, f"camera: face {[x1, y1, x2, y2]} shown with detail {after:.0f} of {before:.0f}"
        app.page.click("[data-action=camera-stop]")
        assert not app.external_requests() and not app.csp_violations()
        app.close()
    finally:
        browser.close()
