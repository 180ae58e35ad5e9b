import numpy as np
import pytest

from plateblur.obscure import OBSCURERS, Blur, Fill, Pixelate, block_edges, pixel_block
from plateblur.settings import Settings
from tests.support.helpers import detail_energy, make_frame, noise_frame, outside_mask, text_pattern

DEFAULT_STRENGTH = Settings().strength
WEAKEST = (0.001, 0.1)           # barely above 0 (the CLI's range), the page slider's minimum
ALL = [Blur, Pixelate, Fill]


def _regions(*boxes):
    return np.asarray(boxes, np.int32).reshape(-1, 4)


def test_registry_names():
    assert OBSCURERS == {"blur": Blur, "pixelate": Pixelate, "fill": Fill}
    assert all(cls.name == name for name, cls in OBSCURERS.items())


@pytest.mark.parametrize("strength", [*WEAKEST, DEFAULT_STRENGTH])
@pytest.mark.parametrize(("plate_w", "plate_h"), [(240, 60), (160, 40), (110, 30), (60, 16), (36, 12)])
def test_blur_removes_text_detail_at_every_strength(plate_w, plate_h, strength):
    frame = noise_frame(plate_w + 40, plate_h + 40, seed=1)
    x1, y1 = 20, 20
    x2, y2 = x1 + plate_w, y1 + plate_h
    frame[y1:y2, x1:x2] = text_pattern(plate_h, plate_w, seed=plate_w)
    before = detail_energy(frame[y1:y2, x1:x2])
    assert before > 1000                                        # really high contrast to start with
    out = Blur().apply(frame.copy(), _regions((x1, y1, x2, y2)), strength)
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


@pytest.mark.parametrize(("length", "block"), [(30, 9), (30, 7.5), (31, 10), (14, 4.2), (5, 9), (1, 2), (400, 30), (100, 70)])
def test_block_edges_cut_a_side_into_near_equal_parts_no_smaller_than_the_block(length, block):
    edges = block_edges(length, block)
    parts = np.diff(edges)
    assert edges[0] == 0 and edges[-1] == length
    assert len(parts) == max(1, int(length // block))
    assert parts.max() - parts.min() <= 1
    assert parts.min() >= min(length, np.floor(block))


@pytest.mark.parametrize("strength", [*WEAKEST, 0.5, 1.0])
@pytest.mark.parametrize("region", [(3, 4, 53, 34), (0, 0, 17, 9), (60, 30, 80, 60), (10, 10, 12, 12), (0, 5, 80, 17)])
def test_pixelate_makes_uniform_blocks_of_the_mean_colour(strength, region):
    frame = noise_frame(80, 60, seed=5)
    original = frame.copy()
    x1, y1, x2, y2 = region
    out = Pixelate().apply(frame, _regions(region), strength)
    block = pixel_block(y2 - y1, strength)
    ys, xs = y1 + block_edges(y2 - y1, block), x1 + block_edges(x2 - x1, block)
    for top, bottom in zip(ys[:-1], ys[1:]):
        for left, right in zip(xs[:-1], xs[1:]):
            cell = out[top:bottom, left:right].reshape(-1, 3)
            assert (cell == cell[0]).all(), f"block at {left},{top} is not uniform"
            source = original[top:bottom, left:right].reshape(-1, 3)
            np.testing.assert_allclose(cell[0], source.mean(axis=0), atol=0.5)
    cells = (len(ys) - 1) * (len(xs) - 1)
    assert len(np.unique(out[y1:y2, x1:x2].reshape(-1, 3), axis=0)) <= cells


@pytest.mark.parametrize("strength", [*WEAKEST, DEFAULT_STRENGTH])
@pytest.mark.parametrize(("width", "height"), [(400, 100), (120, 30), (60, 14), (20, 6), (30, 120)])
def test_pixelate_blocks_are_a_large_share_of_the_region_height(width, height, strength):
    """A plate's characters span most of its height: even the weakest setting leaves at most
    three rows of blocks across it, and blocks about as wide as tall."""
    frame = noise_frame(width, height, seed=7)
    out = Pixelate().apply(frame, _regions((0, 0, width, height)), strength)
    rows = 1 + np.count_nonzero((out[1:, 0] != out[:-1, 0]).any(axis=1))
    columns = 1 + np.count_nonzero((out[0, 1:] != out[0, :-1]).any(axis=1))
    assert rows <= 3
    if columns > 1:
        assert 0.5 <= (width / columns) / (height / rows) <= 2


@pytest.mark.parametrize("strength", [*WEAKEST, DEFAULT_STRENGTH])
def test_effect_scales_with_the_region(strength):
    """The same plate at twice the size is obscured the same way: the result, shrunk back, is
    close to the smaller one's (blur and pixelate scale with the region's height)."""
    small = text_pattern(30, 120, seed=3)
    large = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)
    for obscurer in (Blur(), Pixelate()):
        a = obscurer.apply(small.copy(), _regions((0, 0, 120, 30)), strength).astype(float)
        b = obscurer.apply(large.copy(), _regions((0, 0, 240, 60)), strength).astype(float)
        b = b.reshape(30, 2, 120, 2, 3).mean(axis=(1, 3))
        assert np.abs(a - b).mean() < 6, obscurer.name


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
