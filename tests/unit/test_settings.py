import dataclasses
import json
import math
from contextlib import nullcontext as does_not_raise

import numpy as np
import pytest

from plateblur.browser.protocol import CONTROLS
from plateblur.cpython import cli
from plateblur.obscure import OBSCURERS
from plateblur.settings import (CAMERA, DETECTION_FLOOR, FAST_VIDEO, MODES, RANGES, SLIDERS, WITHOUT_STRENGTH,
                                Settings, controls)


def test_documented_defaults():
    s = Settings()
    assert (s.conf, s.pad, s.mode, s.strength, s.iou, s.max_downscale) == (0.05, 0.15, "blur", 0.5, 0.5, 2.0)
    assert s.mode in OBSCURERS
    assert DETECTION_FLOOR <= s.conf
    assert s.min_pad_px >= 1                  # even a tiny or zero-size box hides whole pixels


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().conf = 0.3


@pytest.mark.parametrize(
    ("changes", "exception"),
    [
        ({}, does_not_raise()),
        ({"mode": "pixelate"}, does_not_raise()),
        ({"mode": "fill"}, does_not_raise()),
        ({"mode": "Blur"}, pytest.raises(ValueError, match="mode")),
        ({"mode": ""}, pytest.raises(ValueError, match="mode")),
        ({"conf": DETECTION_FLOOR}, does_not_raise()),
        ({"conf": 0.0}, pytest.raises(ValueError, match="conf")),
        ({"conf": DETECTION_FLOOR - 0.001}, pytest.raises(ValueError, match="conf")),
        ({"conf": 1.01}, pytest.raises(ValueError, match="conf")),
        ({"pad": 0.0}, does_not_raise()),
        ({"pad": -0.1}, pytest.raises(ValueError, match="pad")),
        ({"pad": 2.5}, pytest.raises(ValueError, match="pad")),
        ({"strength": 1.0}, does_not_raise()),
        ({"strength": 0.0}, pytest.raises(ValueError, match="strength")),
        ({"strength": 1.5}, pytest.raises(ValueError, match="strength")),
        ({"iou": 1.0}, does_not_raise()),
        ({"iou": 0.0}, pytest.raises(ValueError, match="iou")),
        ({"iou": 1.2}, pytest.raises(ValueError, match="iou")),
        ({"max_downscale": 1.0}, does_not_raise()),
        ({"max_downscale": 0.5}, pytest.raises(ValueError, match="max_downscale")),
    ],
)
def test_validation(changes, exception):
    with exception:
        s = Settings(**changes)
    if isinstance(exception, does_not_raise):
        for name, value in changes.items():
            assert getattr(s, name) == value


# ---- one place per rule: RANGES, MODES, FAST_VIDEO and CAMERA drive Settings, the page and the CLI ----

def test_the_ranges_users_get():
    """What the page's sliders and the CLI offer, as chosen (settings.py says why)."""
    assert {name: (r.min, r.max, r.step) for name, r in RANGES.items()} == {
        "strength": (0.1, 1.0, 0.05), "pad": (0.0, 0.6, 0.05), "conf": (DETECTION_FLOOR, 0.9, 0.05),
        "detect_every": (1, 10, 1)}
    assert set(SLIDERS) <= set(RANGES)


@pytest.mark.parametrize("name", list(RANGES))
def test_settings_accept_exactly_each_range(name):
    allowed = RANGES[name]
    for value in (allowed.min, allowed.max, (allowed.min + allowed.max) / 2):
        assert getattr(Settings(**{name: value}), name) == value
    for value in (allowed.min - allowed.step, allowed.max + allowed.step, math.nan):
        with pytest.raises(ValueError, match=f"{name} must be between {allowed.min:g} and {allowed.max:g}"):
            Settings(**{name: value})


@pytest.mark.parametrize("name", list(RANGES))
def test_each_default_is_a_value_its_slider_can_show(name):
    """A default off the step grid would be snapped by the page's slider: page and Settings would differ."""
    allowed, default = RANGES[name], getattr(Settings(), name)
    assert allowed.min <= default <= allowed.max
    steps = (default - allowed.min) / allowed.step
    assert steps == pytest.approx(round(steps), abs=1e-9)


def test_the_modes_are_the_obscurers_and_only_those_without_strength_ignore_it():
    assert MODES == tuple(OBSCURERS) and WITHOUT_STRENGTH < set(MODES)
    frame = np.tile(np.arange(64, dtype=np.uint8)[None, :, None] * 4, (32, 1, 3))
    region = np.array([[8, 4, 56, 28]], np.int32)
    for mode in MODES:
        weak, strong = (OBSCURERS[mode]().apply(frame.copy(), region, s) for s in (RANGES["strength"].min, 1.0))
        assert np.array_equal(weak, strong) == (mode in WITHOUT_STRENGTH), mode


def test_fast_video_and_the_camera_are_valid_settings_that_change_what_they_say():
    fast = Settings().updated(**FAST_VIDEO)
    assert fast.detect_every > Settings().detect_every
    camera = Settings(thorough=True).updated(**CAMERA)
    assert camera.turns == (0,)


def test_the_worker_sends_every_rule_the_protocol_names():
    sent = json.loads(json.dumps(controls()))                   # plain values: what reaches the page
    assert set(sent) == set(CONTROLS)
    assert [m["name"] for m in sent["modes"]] == list(MODES)
    assert {m["name"] for m in sent["modes"] if not m["strength"]} == WITHOUT_STRENGTH
    assert sent["ranges"] == {name: {"min": r.min, "max": r.max, "step": r.step} for name, r in RANGES.items()}
    assert sent["sliders"] == list(SLIDERS)
    assert (sent["fast_video"], sent["camera"]) == (FAST_VIDEO, CAMERA)
    assert Settings(**sent["defaults"]) == Settings()


def test_the_cli_flags_read_the_same_rules(capsys):
    assert cli.parse_args(["a.jpg"]).settings == Settings()
    for mode in MODES:
        assert cli.parse_args(["--mode", mode, "a.jpg"]).settings.mode == mode
    with pytest.raises(SystemExit):
        cli.parse_args(["--help"])
    shown = " ".join(capsys.readouterr().out.split())        # argparse wraps the help's lines
    assert f"--mode {{{','.join(MODES)}}}" in shown
    for name in SLIDERS:
        allowed = RANGES[name]
        own_help = shown[shown.index(f"--{name} {name.upper()} "):].split(" --")[0]
        assert f"{allowed} (" in own_help, f"--{name}'s help names its range"
        for value in (allowed.min, allowed.max):
            assert getattr(cli.parse_args([f"--{name}", str(value), "a.jpg"]).settings, name) == value
        for value in (allowed.min - allowed.step, allowed.max + allowed.step):
            with pytest.raises(SystemExit) as refused:
                cli.parse_args([f"--{name}", str(value), "a.jpg"])
            assert refused.value.code == 2
            assert f"{name} must be between {allowed.min:g} and {allowed.max:g}" in capsys.readouterr().err


def test_updated_changes_only_known_non_none_fields():
    base = Settings()
    new = base.updated(conf=0.3, pad=None, mode="fill", colour="red")
    assert (new.conf, new.pad, new.mode) == (0.3, base.pad, "fill")
    assert base.conf == 0.05 and base.mode == "blur"          # the original is untouched
    assert base.updated() == base


@pytest.mark.parametrize(("changes", "field"), [({"conf": 0.0}, "conf"), ({"mode": "smear"}, "mode"),
                                                 ({"pad": 3.0}, "pad")])
def test_updated_validates(changes, field):
    with pytest.raises(ValueError, match=field):
        Settings().updated(**changes)
