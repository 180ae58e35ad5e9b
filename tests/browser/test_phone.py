"""A 390x844 touch screen: touch wording, settings folded away, the results come into view, and the
photo editor still shows the whole photo at its aspect ratio."""
from __future__ import annotations

import pytest
from PIL import Image

from tools.testkit import MEDIA
from tools.testkit.page_driver import App

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
PHOTOS = ["street-05.jpg", "dashcam-03.png", "openimages-08.jpg"]


@pytest.fixture(scope="module")
def phone(browser, site_url):
    app = App(browser, site_url, **PHONE).open()
    yield app
    external, blocked = app.external_requests(), app.csp_violations()
    app.close()
    assert not external, external
    assert not blocked, blocked


def in_viewport(locator, height: int = 844) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] < height and box["y"] + min(box["height"], 60) > 0


def test_touch_wording_and_folded_settings(phone):
    page = phone.page
    assert page.get_by_label("Choose photos or videos", exact=True).count() == 1
    assert page.locator("#drop-zone .drop-title").is_hidden(), "nothing to drop from on a phone"
    assert page.text_content("#load-status").endswith("Choose photos or videos to start.")
    assert page.evaluate("document.querySelector('#settings').open") is False
    assert page.get_by_role("slider", name="Strength").count() == 0, "folded away"
    page.get_by_text("Settings", exact=True).tap()
    assert page.get_by_role("slider", name="Strength", exact=True).is_visible()
    page.get_by_text("Settings", exact=True).tap()


def test_after_uploading_the_first_result_is_in_view(phone):
    phone.upload([MEDIA / name for name in PHOTOS])
    page = phone.page
    assert page.locator(".result .name").all_text_contents() == PHOTOS
    assert in_viewport(phone.result(PHOTOS[0])) or in_viewport(page.locator("#batch-status"))


def test_with_the_settings_open_the_new_result_still_comes_into_view(phone):
    page = phone.page
    page.evaluate("scrollTo(0, 0)")
    page.get_by_text("Settings", exact=True).tap()
    assert page.get_by_role("slider", name="Strength", exact=True).is_visible()
    phone.upload([MEDIA / "dashcam-04.png"])
    page.wait_for_timeout(1000)                        # a smooth scroll has ended
    assert in_viewport(phone.result("dashcam-04.png")), page.evaluate("scrollY")


def test_before_and_after_is_one_photo_with_a_toggle(phone):
    card = phone.result(PHOTOS[0])
    assert card.locator("img").count() == 2
    after, before = card.locator("img.after").bounding_box(), card.locator("img.before").bounding_box()
    assert after == before, "the original lies exactly under the result: not stacked"
    editor = card.locator("[data-role=editor]").bounding_box()
    w, h = Image.open(MEDIA / PHOTOS[0]).size
    assert editor["width"] <= 390 and abs(editor["width"] / editor["height"] - w / h) < 0.02
    toggle = card.get_by_role("button", name="Show original", exact=True)
    toggle.tap()
    assert toggle.get_attribute("aria-pressed") == "true"
    toggle.tap()
    assert toggle.get_attribute("aria-pressed") == "false"
