"""German and English: the page follows the browser's language, a switch changes it without a reload
and is remembered; texts, error messages and accessible names follow."""
from __future__ import annotations

import re

import pytest

from tools.testkit import MEDIA, media
from tools.testkit.page_driver import App

DENY = """navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("denied", "NotAllowedError"));"""
EXPECTED = {
    "en-US": {
        "lang": "en",
        "title": "Hide licence plates and faces in photos, videos and the live camera",
        "drop": "Drop photos or videos here",
        "photo_error": "Not processed: not an image, or not a JPEG, PNG or WebP file",
        "video_error": "Not processed: this browser cannot decode HEVC video; try H.264, VP8, VP9 or AV1",
        "unknown_code": "the photo cannot be read (a new reason)",
        "unknown_name": "unexpected error (a new failure)",
        "camera_error": "Camera permission was denied. Allow the camera for this page in the browser's site settings, "
                        "then try again.",
        "strength": "Strength",
        "batch": "0 of 2 done, 2 failed",
    },
    "de-DE": {
        "lang": "de",
        "title": "Kennzeichen und Gesichter unkenntlich machen – in Fotos, Videos und der Live-Kamera",
        "drop": "Fotos oder Videos hierher ziehen",
        "photo_error": "Nicht verarbeitet: keine Bilddatei oder weder JPEG noch PNG noch WebP",
        "video_error": "Nicht verarbeitet: dieser Browser kann HEVC-Video nicht dekodieren; versuchen Sie H.264, VP8, VP9 "
                       "oder AV1",
        "unknown_code": "das Foto kann nicht gelesen werden (a new reason)",
        "unknown_name": "unerwarteter Fehler (a new failure)",
        "camera_error": "Der Kamerazugriff wurde verweigert. Erlauben Sie die Kamera für diese Seite in den "
                        "Website-Einstellungen des Browsers und versuchen Sie es dann noch einmal.",
        "strength": "Stärke",
        "batch": "0 von 2 fertig, 2 fehlgeschlagen",
    },
}


@pytest.fixture(scope="module")
def not_a_photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("i18n") / "notes.jpg"
    path.write_text("this is a text file, not a photo\n")
    return path


@pytest.fixture(scope="module")
def bad_video():
    return media.ensure_media() / "hevc.mp4"          # a codec this headless browser cannot decode


# A failure whose detail code (or error name) the texts lack: the page's language around the English words.
UNKNOWN = """async () => {
  const [{ errorMessage }, { t }] = await Promise.all([import("./web/card.js"), import("./web/i18n/index.js")]);
  const shown = (result) => { const m = errorMessage(result); return t(m.key, m.params); };
  return [shown({ error_name: "ImageError", error: "a new reason", detail: "image.new_code", params: {} }),
          shown({ error_name: "NewError", error: "a new failure", detail: null, params: {} })];
}"""


def check_language(app, expected):
    page = app.page
    assert page.evaluate("document.documentElement.lang") == expected["lang"]
    assert page.title() == expected["title"]
    assert page.text_content("#drop-zone strong") == expected["drop"]
    assert page.get_by_role("slider", name=expected["strength"], exact=True).count() == 1


@pytest.mark.parametrize("locale", ["en-US", "de-DE"])
def test_the_page_speaks_the_browsers_language(browser, site_url, not_a_photo, bad_video, locale):
    expected = EXPECTED[locale]
    app = App(browser, site_url, locale=locale)
    try:
        app.context.add_init_script(DENY)
        app.open()
        check_language(app, expected)
        app.upload([not_a_photo, bad_video])
        assert app.result("notes.jpg").locator(".status").text_content() == expected["photo_error"]
        assert app.result("hevc.mp4").locator(".status").text_content() == expected["video_error"]
        assert app.page.text_content("#batch-status") == expected["batch"]
        assert app.page.evaluate(UNKNOWN) == [expected["unknown_code"], expected["unknown_name"]]
        app.page.click("[data-action=camera-start]")
        app.page.wait_for_function("() => document.querySelector('#camera-status').classList.contains('error')")
        assert app.page.text_content("#camera-status") == expected["camera_error"]
        assert not app.errors, app.errors
        assert not app.csp_violations(), app.csp_violations()
    finally:
        app.close()


def test_the_switch_changes_everything_at_once_and_is_remembered(browser, site_url, not_a_photo, bad_video):
    app = App(browser, site_url, locale="en-US")
    try:
        app.open()
        app.upload([not_a_photo, bad_video])
        page = app.page
        page.get_by_role("combobox", name="Language").select_option("de")
        check_language(app, EXPECTED["de-DE"])
        # texts made earlier follow too: a card's status, the batch line, the settings' values
        assert app.result("notes.jpg").locator(".status").text_content() == EXPECTED["de-DE"]["photo_error"]
        assert app.result("hevc.mp4").locator(".status").text_content() == EXPECTED["de-DE"]["video_error"]
        assert page.text_content("#batch-status") == EXPECTED["de-DE"]["batch"]
        assert page.get_by_role("button", name="notes.jpg entfernen", exact=True).count() == 1
        assert page.get_by_role("combobox", name="Sprache").count() == 1
        assert page.evaluate("localStorage.getItem('plateblur-language')") == "de"
        app.page.reload()
        app.wait_ready()
        check_language(app, EXPECTED["de-DE"])          # remembered, though the browser says English
        assert page.text_content("#load-status").startswith("Bereit (Detektor auf ")
        page.get_by_role("combobox", name="Sprache").select_option("en")
        check_language(app, EXPECTED["en-US"])
        assert not app.errors, app.errors
        assert not app.csp_violations(), app.csp_violations()
    finally:
        app.close()


# Every text the loading status and the batch line show, from the first moment of the page.
TEXTS_SHOWN = """
window.__shown = { load: [], batch: [] };
addEventListener("DOMContentLoaded", () => {
  for (const [id, list] of [["load-status", __shown.load], ["batch-status", __shown.batch]]) {
    const el = document.getElementById(id);
    new MutationObserver(() => list.push(el.textContent))
      .observe(el, { childList: true, characterData: true, subtree: true });
  }
});
"""


def test_the_start_up_steps_are_plain_and_a_photo_batch_shows_its_progress_politely(browser, site_url, not_a_photo):
    """Start-up steps say what happens (no "Loaded Pyodide…", no dangling space); while photos are processed
    the batch line, a polite live region, counts them ("Working: 2 of 4 photos"), then sums up."""
    app = App(browser, site_url, locale="en-US")
    try:
        app.context.add_init_script(TEXTS_SHOWN)
        app.open()
        loading = app.page.evaluate("__shown.load")
        assert any(t.startswith("Loading the plate detector…") for t in loading), loading
        assert not [t for t in loading if t != t.strip() or "Loaded" in t], loading
        status = app.page.locator("#batch-status")
        assert status.get_attribute("role") == "status"          # a polite live region (aria-live implied)
        photos = [MEDIA / "dashcam-03.png", not_a_photo, MEDIA / "openimages-08.jpg", MEDIA / "noplate-10.jpg"]
        app.upload(photos)
        shown = [t for t in app.page.evaluate("__shown.batch") if t.startswith("Working")]
        counts = [int(t.split(" of ")[0].removeprefix("Working: ")) for t in shown]
        assert counts and counts == sorted(counts) and set(counts) >= {1, 2, 3}, shown
        assert all(re.fullmatch(r"Working: \d of 4 photos(, 1 failed)?", t) for t in shown), shown
        assert "Working: 2 of 4 photos, 1 failed" in shown, shown
        assert status.text_content() == "3 of 4 done, 1 failed"
        assert app.page.locator("#batch-progress").is_hidden()
    finally:
        app.close()
