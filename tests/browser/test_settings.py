"""The settings form is built from the rules Python holds (py/plateblur/settings.py), which the worker
sends at load: the mode's options, every slider's range, step and default, which mode has no strength,
what "Fast video" sets. Before they arrive the form offers nothing; what it sends, Settings accepts."""
from __future__ import annotations

import json

import pytest

from plateblur.settings import FAST_VIDEO, MODES, RANGES, SLIDERS, WITHOUT_STRENGTH, Settings, controls
from tools.testkit import MEDIA, REPO_ROOT
from tools.testkit.page_driver import App

ENGLISH = json.loads((REPO_ROOT / "web" / "i18n" / "en.json").read_text(encoding="utf-8"))
FORM = """sliders => {
  const form = document.querySelector("#controls"), el = form.elements;
  const slider = (name) => ({ min: el[name].min, max: el[name].max, step: el[name].step, value: el[name].value,
                              disabled: el[name].disabled });
  return { app: document.body.dataset.app, inert: form.inert, mode: el.mode.value, fast: el.fast.checked,
           thorough: el.thorough.checked, help_fast: document.querySelector("#help-fast").textContent,
           options: [...el.mode.options].map((o) => [o.value, o.textContent]),
           sliders: Object.fromEntries(sliders.map((name) => [name, slider(name)])) };
}"""
# Records the settings of every photo the page asks the worker for.
RECORD = """() => {
  const api = window.plateblur.sync, original = api.process_photo;
  window.__sent = [];
  api.process_photo = (id, buffer, settings) => { window.__sent.push(settings); return original(id, buffer, settings); };
}"""


@pytest.fixture(scope="module")
def page(browser, site_url):
    """The page, with its form as it was before the worker answered."""
    app = App(browser, site_url)
    app.page.goto(site_url)
    early = app.page.evaluate(FORM, list(SLIDERS))
    app.wait_ready()
    yield app, early
    external, blocked = app.external_requests(), app.csp_violations()
    app.close()
    assert not external and not blocked, (external, blocked)


def form(app):
    return app.page.evaluate(FORM, list(SLIDERS))


def test_before_the_worker_answers_the_form_offers_nothing(page):
    _, early = page
    assert early["app"] == "loading"
    assert early["inert"], "the form takes no input until the rules came"
    assert early["options"] == [], "no mode is offered before the worker names them"
    assert early["help_fast"] == ""


def test_the_worker_sends_the_rules_python_holds(page):
    app, _ = page
    assert app.page.evaluate("window.plateblur.info.controls") == json.loads(json.dumps(controls()))


def test_every_control_is_built_from_the_rules(page):
    app, _ = page
    shown, defaults = form(app), Settings()
    assert not shown["inert"]
    assert shown["options"] == [[mode, ENGLISH[f"mode.{mode}"]] for mode in MODES]
    assert shown["mode"] == defaults.mode
    for name in SLIDERS:
        slider, allowed = shown["sliders"][name], RANGES[name]
        assert [float(slider[k]) for k in ("min", "max", "step")] == [allowed.min, allowed.max, allowed.step], name
        assert float(slider["value"]) == getattr(defaults, name), name
    assert shown["fast"] == (defaults.detect_every == FAST_VIDEO["detect_every"])
    assert shown["thorough"] == defaults.thorough
    assert str(FAST_VIDEO["detect_every"]) in shown["help_fast"]


def test_a_mode_without_strength_disables_the_strength_slider(page):
    app, _ = page
    for mode in [*MODES, Settings().mode]:
        app.page.select_option("#controls select[name=mode]", mode)
        assert form(app)["sliders"]["strength"]["disabled"] == (mode in WITHOUT_STRENGTH), mode
    assert WITHOUT_STRENGTH, "fill has no strength"


def test_what_the_form_sends_settings_accept_and_reset_restores_the_defaults(page):
    app, _ = page
    app.page.evaluate(RECORD)
    app.page.check("#controls input[name=fast]")
    app.page.focus("#controls input[name=pad]")
    app.page.keyboard.press("End")                      # a slider's far end: its range's maximum
    app.page.focus("#controls input[name=strength]")
    app.page.keyboard.press("Home")
    app.upload([MEDIA / "openimages-08.jpg"])
    sent = app.page.evaluate("window.__sent")[-1]
    assert Settings().updated(**sent) == Settings(strength=RANGES["strength"].min, pad=RANGES["pad"].max,
                                                  **FAST_VIDEO)
    app.page.click("#reset-settings")
    shown = form(app)
    assert not shown["fast"]
    assert {name: float(shown["sliders"][name]["value"]) for name in SLIDERS} == \
        {name: getattr(Settings(), name) for name in SLIDERS}


# A form like the page's, given values from outside the rules (a restarted worker keeps the person's).
OUTSIDE = """async ([controls, values]) => {
  const { SettingsForm } = await import("./web/settings-form.js");
  const copy = document.querySelector("#controls").cloneNode(true);
  document.body.append(copy);
  try {
    const form = new SettingsForm(copy, () => {});
    form.ready(controls);
    form.fill(values);
    const filled = form.values();
    form.ready(controls);
    return [filled, form.values()];
  } finally {
    copy.remove();
  }
}"""


def test_values_outside_the_rules_are_clamped_or_dropped(page):
    app, _ = page
    low, high = (RANGES[name] for name in ("strength", "pad"))
    outside = {"mode": "smear", "strength": low.min - 1, "pad": high.max + 5, "conf": "high", "thorough": True,
               **FAST_VIDEO}
    filled, after_restart = app.page.evaluate(OUTSIDE, [controls(), outside])
    expected = {"mode": Settings().mode, "strength": low.min, "pad": high.max, "conf": Settings().conf,
                "thorough": True, "hide": list(Settings().hide), **FAST_VIDEO}
    assert filled == after_restart == expected
    Settings(**filled)                                   # the worker accepts what the form holds
