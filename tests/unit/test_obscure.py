import numpy as np
import pytest

from plateblur.obscure import OBSCURERS, Blur, Fill, Pixelate
from plateblur.settings import Settings
from tests.support.helpers import detail_energy, make_frame, noise_frame, outside_mask, text_pattern

DEFAULT_STRENGTH = Settings().strength
ALL = [Blur, Pixelate, Fill]


def _regions(*boxes):
    return np.asarray(boxes, np.int32).reshape(-1, 4)


def test_registry_names():
    assert OBSCURERS == {"blur": Blur, "pixelate": Pixelate, "fill": Fill}
    assert all(cls.name == name for name, cls in OBSCURERS.items())


@pytest.mark.parametrize(("plate_w", "plate_h"), [(240, 60), (160, 40), (110, 30), (60, 16), (36, 12)])
def test_blur_removes_text_detail_at_default_strength(plate_w, plate_h):
    frame = noise_frame(plate_w + 40, plate_h + 40, seed=1)
    x1, y1 = 20, 20
    x2, y2 = x1 + plate_w, y1 + plate_h
    frame[y1:y2, x1:x2] = text_pattern(plate_h, plate_w, seed=plate_w)
    before = detail_energy(frame[y1:y2, x1:x2])
    assert before > 1000                                        # really high contrast to start with
    out = Blur().apply(frame.copy(), _regions((x1, y1, x2, y2)), DEFAULT_STRENGTH)
    after = detail_energy(out[y1:y2, x1:x2])
    assert after <= 0.1 * before, f"detail only reduced by {1 - after / before:.1%}"


def test_blur_stronger_removes_more():
    frame = make_frame(200, 60)
    frame[10:50, 20:180] = text_pattern(40, 160)
    region = _regions((20, 10, 180, 50))
    energies = [detail_energy(Blur().apply(frame.copy(), region, s)[10:50, 20:180]) for s in (0.1, 0.5, 1.0)]
    assert energies[0] > energies[1] > energies[2]


@pytest.mark.parametrize("size", [9, 21, 41])
def test_blur_is_centred(size):
    """A bright spot in the middle of a square region stays centred and symmetric."""
    frame = make_frame(size + 10, size + 10)
    c = 5 + size // 2
    frame[c - 1:c + 2, c - 1:c + 2] = 255
    out = Blur().apply(frame, _regions((5, 5, 5 + size, 5 + size)), DEFAULT_STRENGTH)[5:5 + size, 5:5 + size, 0]
    assert out.max() == out[size // 2, size // 2] > 0
    np.testing.assert_array_equal(out, out[::-1])
    np.testing.assert_array_equal(out, out[:, ::-1])
    # rows and columns are blurred in turn with 8-bit rounding between: transposed, within 2 levels
    assert np.abs(out.astype(int) - out.T).max() <= 2


def test_blur_keeps_a_flat_region_flat():
    frame = make_frame(50, 40, 200)
    out = Blur().apply(frame, _regions((0, 0, 50, 40), (10, 10, 30, 20)), 1.0)
    assert (out == 200).all()                                   # no darkening at the edges


@pytest.mark.parametrize("obscurer", ALL, ids=lambda c: c.name)
@pytest.mark.parametrize(
    "regions",
    [
        [(10, 10, 40, 25)],
        [(0, 0, 30, 12)],                                       # top-left corner
        [(70, 48, 80, 60)],                                     # bottom-right corner
        [(0, 20, 80, 30)],                                      # full width
        [(0, 0, 80, 60)],                                       # the whole frame
        [(33, 33, 34, 34)],                                     # a single pixel
        [(79, 0, 80, 60)],                                      # 1 px wide, at the edge
        [(5, 5, 20, 15), (50, 40, 70, 55), (10, 12, 25, 20)],   # several, overlapping
        [],
    ],
)
def test_pixels_outside_regions_are_byte_identical(obscurer, regions):
    frame = noise_frame(80, 60, seed=2)
    original = frame.copy()
    out = obscurer().apply(frame, _regions(*regions), DEFAULT_STRENGTH)
    assert out.shape == original.shape and out.dtype == np.uint8
    keep = outside_mask((60, 80), regions)
    np.testing.assert_array_equal(out[keep], original[keep])
    if any((x2 - x1) * (y2 - y1) > 1 for x1, y1, x2, y2 in regions):
        assert not np.array_equal(out[~keep], original[~keep])   # and it did hide something


@pytest.mark.parametrize("obscurer", ALL, ids=lambda c: c.name)
def test_apply_works_in_place_and_returns_the_frame(obscurer):
    frame = noise_frame(30, 20)
    out = obscurer().apply(frame, _regions((2, 2, 20, 15)), DEFAULT_STRENGTH)
    assert out is frame


@pytest.mark.parametrize("obscurer", ALL, ids=lambda c: c.name)
@pytest.mark.parametrize("region", [(10, 10, 10, 20), (10, 10, 20, 10), (5, 5, 5, 5)])
def test_zero_area_regions_change_nothing(obscurer, region):
    frame = noise_frame(30, 30, seed=4)
    out = obscurer().apply(frame.copy(), _regions(region), DEFAULT_STRENGTH)
    np.testing.assert_array_equal(out, frame)


@pytest.mark.parametrize("strength", [0.1, 0.5, 1.0])
@pytest.mark.parametrize("region", [(3, 4, 53, 34), (0, 0, 17, 9), (60, 30, 80, 60), (10, 10, 12, 12)])
def test_pixelate_makes_uniform_blocks_of_the_mean_colour(strength, region):
    frame = noise_frame(80, 60, seed=5)
    original = frame.copy()
    x1, y1, x2, y2 = region
    out = Pixelate().apply(frame, _regions(region), strength)
    block = max(2, round(strength * 0.6 * min(x2 - x1, y2 - y1)))   # as documented
    cells = 0
    for by in range(y1, y2, block):
        for bx in range(x1, x2, block):
            cell = out[by:min(by + block, y2), bx:min(bx + block, x2)].reshape(-1, 3)
            assert (cell == cell[0]).all(), f"block at {bx},{by} is not uniform"
            source = original[by:min(by + block, y2), bx:min(bx + block, x2)].reshape(-1, 3)
            np.testing.assert_allclose(cell[0], source.mean(axis=0), atol=0.5)
            cells += 1
    assert len(np.unique(out[y1:y2, x1:x2].reshape(-1, 3), axis=0)) <= cells


def test_pixelate_stronger_makes_bigger_blocks():
    frame = noise_frame(120, 40, seed=6)
    counts = [len(np.unique(Pixelate().apply(frame.copy(), _regions((0, 0, 120, 40)), s).reshape(-1, 3), axis=0))
              for s in (0.2, 0.5, 1.0)]
    assert counts[0] > counts[1] > counts[2]


@pytest.mark.parametrize("strength", [0.01, 0.5, 1.0])
def test_fill_makes_zeros_whatever_the_strength(strength):
    frame = make_frame(40, 30, 255)
    out = Fill().apply(frame, _regions((0, 0, 10, 10), (35, 25, 40, 30), (20, 12, 21, 13)), strength)
    assert (out[0:10, 0:10] == 0).all()
    assert (out[25:30, 35:40] == 0).all()
    assert (out[12, 20] == 0).all()
    assert (out == 0).sum() == 3 * (100 + 25 + 1)


def test_fill_leaves_alpha_alone():
    frame = make_frame(20, 20, 200, channels=4)
    out = Fill().apply(frame, _regions((5, 5, 15, 15)), 1.0)
    assert (out[5:15, 5:15, :3] == 0).all()
    assert (out[..., 3] == 200).all()
