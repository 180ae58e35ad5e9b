"""Accessibility: axe-core (a pinned npm dev dependency, served only to these tests from
node_modules/ on a same-origin URL the page's policy allows) finds nothing at each state of the page;
every control is found by its role and a name that says what it does; focus and disabled states show."""
from __future__ import annotations

import re
import subprocess

import pytest

from tools.testkit import MEDIA, REPO_ROOT, media
from tools.testkit.page_driver import App, launch, local_site

AXE = "node_modules/axe-core/axe.min.js"
RUN_AXE = """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations.map(
  (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)"""
PHOTOS = ["street-05.jpg", "dashcam-03.png"]


@pytest.fixture(scope="module")
def axe_url():
    if not (REPO_ROOT / AXE).exists():
        pytest.fail("node_modules/axe-core is missing: run tools/setup first")
    with local_site(extra=(AXE,)) as url:
        yield url


def violations(app) -> list[str]:
    if not app.page.evaluate("typeof window.axe === 'object'"):
        app.page.add_script_tag(url=app.site_url + AXE)
    return app.page.evaluate(RUN_AXE)


def check(app):
    assert violations(app) == []
    assert not app.csp_violations(), app.csp_violations()
    assert not app.errors, app.errors


@pytest.fixture(scope="module")
def axe_app(browser, axe_url):
    app = App(browser, axe_url)
    app.page.goto(axe_url)
    app.loading_violations = violations(app)
    app.loading_state = app.page.evaluate("document.body.dataset.app")
    app.loading_start_disabled = app.page.evaluate(
        "() => { const b = document.querySelector('[data-action=camera-start]'); const s = getComputedStyle(b);"
        " return {disabled: b.disabled, border: s.borderTopColor, style: s.borderTopStyle, bg: s.backgroundColor, color: s.color}; }")
    app.wait_ready()
    yield app
    external = app.external_requests()
    app.close()
    assert not external, external


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory):
    clip = tmp_path_factory.mktemp("clip") / "pan-short.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(media.ensure_media() / "pan.mp4"), "-frames:v", "12",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-an", str(clip)], check=True)
    return clip


def test_loading_state_has_no_violations(axe_app):
    assert axe_app.loading_state == "loading", "axe ran after the app was ready"
    assert axe_app.loading_violations == []


def test_ready_state_has_no_violations(axe_app):
    check(axe_app)


def test_every_setting_is_found_by_its_name(axe_app):
    page = axe_app.page
    for name in ("Strength", "Padding", "Detection threshold"):
        slider = page.get_by_role("slider", name=name, exact=True)
        assert slider.count() == 1, name
        assert re.fullmatch(r"\d+%", slider.get_attribute("aria-valuetext")), "the value is the slider's own text"
    assert page.get_by_role("combobox", name="Mode", exact=True).count() == 1
    assert page.get_by_role("checkbox", name="Fast video", exact=True).count() == 1
    assert page.get_by_role("checkbox", name="Thorough search", exact=True).count() == 1
    assert page.get_by_role("button", name="Reset to defaults").count() == 1
    assert page.get_by_role("button", name="Enable camera").count() == 1
    assert page.get_by_role("combobox", name="Language").count() == 1
    assert page.get_by_label("Choose files…").count() == 1
    # each setting says in plain words what it does
    for name in ("Mode", "Strength", "Padding", "Detection threshold", "Fast video", "Thorough search"):
        control = page.get_by_label(name, exact=True)
        help_id = control.get_attribute("aria-describedby")
        assert len(page.text_content(f"#{help_id}")) > 40, name
    # values are spoken by the slider when it moves, never by a live region
    assert page.locator("output, [aria-live]:not([aria-live=off])").count() == 0
    page.get_by_role("slider", name="Strength", exact=True).fill("0.8")
    assert page.get_by_role("slider", name="Strength", exact=True).get_attribute("aria-valuetext") == "80%"
    page.click("#reset-settings")


def test_disabled_and_focus_states_are_visible(axe_app):
    before = axe_app.loading_start_disabled
    assert before["disabled"] and before["style"] == "dashed"
    page = axe_app.page
    enabled = page.evaluate("() => getComputedStyle(document.querySelector('[data-action=camera-start]')).backgroundColor")
    assert enabled != before["bg"], "a disabled button looks like an enabled one"
    page_bg = rgb(page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor"))
    assert contrast(rgb(before["border"]), page_bg) >= 3
    assert contrast(rgb(before["color"]), rgb(before["bg"])) >= 3
    page.focus("#language")
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")                  # keyboard focus: :focus-visible applies
    ring = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                         " return [document.activeElement.id, s.outlineStyle, s.outlineColor, s.outlineWidth]; }")
    assert ring[0] == "language" and ring[1] == "solid" and float(ring[3].rstrip("px")) >= 2, ring
    assert contrast(rgb(ring[2]), page_bg) >= 3, ring


def test_photos_done_have_no_violations_and_distinct_names(axe_app):
    axe_app.upload([MEDIA / name for name in PHOTOS])
    page = axe_app.page
    names = page.locator(".result .name").all_text_contents()
    assert names == PHOTOS, "results in the order the files were given"
    for name in PHOTOS:
        stem, extension = name.rsplit(".", 1)
        assert page.get_by_role("button", name=f"Remove {name}", exact=True).count() == 1
        assert page.get_by_role("img", name=f"{name}, anonymised", exact=True).count() == 1
        assert page.get_by_role("img", name=f"{name}, original", exact=True).count() == 1
        assert page.get_by_role("link", name=f"Download {stem}_anonymised.{extension}", exact=True).count() == 1
    card = axe_app.result(PHOTOS[0])
    for role, name in (("button", "Show original"), ("checkbox", "Show regions"), ("button", "Zoom 1:1"),
                       ("button", "Undo"), ("slider", "Show the original photo from the left up to here")):
        assert card.get_by_role(role, name=name, exact=True).count() == 1, name
    assert card.get_by_role("button", name=re.compile(r"^Remove region 1 of \d+ \(detected (plate|face), ")).count() == 1
    check(axe_app)


def test_the_original_is_one_toggle_away(axe_app):
    card = axe_app.result(PHOTOS[0])
    toggle = card.get_by_role("button", name="Show original", exact=True)
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    editor = card.locator("[data-role=editor]")
    assert editor.evaluate("(e) => getComputedStyle(e).getPropertyValue('--compare').trim()") == "100%"
    assert card.locator(".before").evaluate("(e) => getComputedStyle(e).clipPath") in ("inset(0px)", "inset(0px 0% 0px 0px)")
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "false"
    assert editor.evaluate("(e) => getComputedStyle(e).getPropertyValue('--compare').trim()") == "0%"


def test_video_done_has_no_violations_and_compares_with_the_original(axe_app, short_clip):
    axe_app.upload([short_clip])
    card = axe_app.result(short_clip.name)
    assert card.get_attribute("data-state") == "done", card.locator(".status").text_content()
    name = short_clip.name
    assert card.get_by_role("img", name=f"{name}, anonymised", exact=True).count() == 1
    for role, label in (("button", "Play"), ("slider", "Position"), ("button", f"Remove {name}")):
        assert card.get_by_role(role, name=label, exact=True).count() == 1, label
    check(axe_app)
    toggle = card.get_by_role("button", name="Show original", exact=True)
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    original = card.locator("canvas[data-role=original]")
    axe_app.page.wait_for_function("(c) => c.dataset.timestamp !== undefined", arg=original.element_handle(), timeout=30_000)
    assert original.is_visible() and card.locator("canvas[data-role=playback]").is_hidden()
    assert card.get_by_role("img", name=f"{name}, original at the same moment", exact=True).count() == 1
    check(axe_app)
    toggle.click()
    assert card.locator("canvas[data-role=playback]").is_visible()


def test_camera_on_has_no_violations_and_recording_shows_a_dot_and_time(playwright, axe_url):
    clip = media.ensure_media() / "camera.y4m"
    browser = launch(playwright, ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                                  f"--use-file-for-fake-video-capture={clip}"])
    app = App(browser, axe_url).open()
    try:
        page = app.page
        page.get_by_role("button", name="Enable camera").click()
        page.wait_for_function("() => Number(document.querySelector('canvas[data-role=live]').dataset.shown) >= 2",
                               timeout=60_000)
        assert page.get_by_role("img", name="Live camera view, anonymised").is_visible()
        check(app)
        page.get_by_role("button", name="Record").click()
        indicator = page.locator(".recording")
        assert indicator.is_visible() and indicator.locator(".dot").is_visible()
        assert getcolour(indicator.locator(".dot")) == (208, 2, 27), "the dot is red"
        first = page.get_by_role("timer").text_content()
        page.wait_for_timeout(2200)
        later = page.get_by_role("timer").text_content()
        assert re.fullmatch(r"\d+:\d\d", first) and later != first and later.startswith("0:0"), (first, later)
        check(app)
        page.get_by_role("button", name="Stop recording").click()
        assert indicator.is_hidden()
        page.get_by_role("button", name="Stop camera").click()
    finally:
        app.close()
        browser.close()


def getcolour(locator) -> tuple[int, ...]:
    return rgb(locator.evaluate("(e) => getComputedStyle(e).backgroundColor"))


def rgb(css: str) -> tuple[int, ...]:
    return tuple(int(float(v)) for v in re.findall(r"[\d.]+", css)[:3])


def contrast(a, b) -> float:
    def luminance(colour):
        c = [v / 255 for v in colour]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
