"""Live camera through Chromium's fake device, fed with a clip whose plate boxes are known."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from tools.testkit import MEDIA, media
from tools.testkit.page_driver import App, launch

pytest.importorskip("av")

CLIP = "camera.y4m"
CAPTURES = 12
DENY = """navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("denied", "%s"));"""


@pytest.fixture(scope="module")
def clip_frames():
    folder = media.ensure_media()
    return media.read_video(folder / CLIP)[0]


@pytest.fixture(scope="module")
def camera_app(playwright, site_url, clip_frames):
    args = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={media.MEDIA_DIR / CLIP}"]
    browser = launch(playwright, args)
    app = App(browser, site_url).open()
    app.page.click("[data-action=camera-start]")
    app.page.wait_for_function("() => Number(document.querySelector('canvas[data-role=live]').dataset.shown) >= 3",
                               timeout=60_000)
    yield app
    external, blocked = app.external_requests(), app.csp_violations()
    app.close()
    browser.close()
    assert not external, external
    assert not blocked, blocked


def live_frame(app) -> np.ndarray:
    url = app.page.evaluate("document.querySelector('canvas[data-role=live]').toDataURL('image/png')")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


def check_obscured(image: np.ndarray, clip_frames) -> int:
    index = media.frame_index(image, clip_frames)
    assert index is not None, "the frame marker is unreadable: not a camera frame?"
    original = clip_frames[index]
    assert image.shape == original.shape
    must, _ = media.boxes_of(CLIP, index)
    visible = [box for box in must if not media.plate_obscured(original, image, box)]
    assert not visible, f"camera frame {index} shown with plates {visible}"
    return index


def test_every_frame_on_screen_is_anonymised(camera_app, clip_frames):
    seen = set()
    for _ in range(CAPTURES):
        seen.add(check_obscured(live_frame(camera_app), clip_frames))
        camera_app.page.wait_for_timeout(300)
    assert len(seen) >= 3, f"the live view did not move on: frames {sorted(seen)}"
    status = camera_app.page.text_content("#camera-status")
    assert "fps shown" in status and "latency" in status


def test_main_thread_does_no_pixel_or_model_work_while_the_camera_runs(camera_app):
    """The main thread only draws frames that come back from the worker (tools/bench/main_thread.py
    measures its task lengths)."""
    page = camera_app.page
    page.wait_for_timeout(3000)
    assert int(page.evaluate("document.querySelector('canvas[data-role=live]').dataset.shown")) > 0
    assert camera_app.main_thread_work() == []


def test_recording_holds_only_anonymised_frames(camera_app, clip_frames, tmp_path):
    page = camera_app.page
    page.click("[data-action=record]")
    page.wait_for_timeout(5000)
    page.click("[data-action=record]")
    link = page.locator("#recordings a[download]").first
    link.wait_for(timeout=30_000)
    with page.expect_download() as info:
        link.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    frames, stamps = media.read_video(path)
    assert len(frames) >= 3, f"only {len(frames)} frames recorded in 5 s"
    assert stamps == sorted(stamps) and stamps[-1] - stamps[0] >= 2_000_000
    for frame in frames:
        check_obscured(frame, clip_frames)


def test_stop_releases_the_camera(camera_app):
    page = camera_app.page
    page.click("[data-action=camera-stop]")
    page.wait_for_function("() => document.querySelector('canvas[data-role=live]').hidden")
    shown = page.evaluate("document.querySelector('canvas[data-role=live]').dataset.shown")
    page.wait_for_timeout(1000)
    assert page.evaluate("document.querySelector('canvas[data-role=live]').dataset.shown") == shown
    assert page.is_visible("[data-action=camera-start]")
    assert "Camera off" in page.text_content("#camera-status")


@pytest.mark.parametrize("error, message", [("NotAllowedError", "permission was denied"),
                                            ("NotFoundError", "No camera was found"),
                                            ("NotReadableError", "in use by another application")])
def test_camera_errors_get_messages_and_the_page_still_works(browser, site_url, error, message):
    app = App(browser, site_url)
    try:
        app.context.add_init_script(DENY % error)
        app.open()
        app.page.click("[data-action=camera-start]")
        app.page.wait_for_function("() => document.querySelector('#camera-status').classList.contains('error')")
        assert message in app.page.text_content("#camera-status")
        assert app.page.is_visible("[data-action=camera-start]")
        app.upload([MEDIA / "dashcam-03.png"])
        assert app.result("dashcam-03.png").get_attribute("data-state") == "done"
        assert not app.errors, app.errors
    finally:
        app.close()
