import dataclasses
import math
from contextlib import nullcontext as does_not_raise

import pytest

from plateblur.obscure import OBSCURERS
from plateblur.settings import DETECTION_FLOOR, Settings


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
        ({"conf": 1.0}, does_not_raise()),
        ({"conf": 0.0}, pytest.raises(ValueError, match="conf")),
        ({"conf": DETECTION_FLOOR - 0.001}, pytest.raises(ValueError, match="conf")),
        ({"conf": 1.01}, pytest.raises(ValueError, match="conf")),
        ({"conf": math.nan}, pytest.raises(ValueError, match="conf")),
        ({"pad": 0.0}, does_not_raise()),
        ({"pad": 2.0}, does_not_raise()),
        ({"pad": -0.1}, pytest.raises(ValueError, match="pad")),
        ({"pad": 2.5}, pytest.raises(ValueError, match="pad")),
        ({"pad": math.nan}, pytest.raises(ValueError, match="pad")),
        ({"strength": 1.0}, does_not_raise()),
        ({"strength": 0.01}, does_not_raise()),
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
