import numpy as np
import pytest

from plateblur.tiling import plan_windows

INPUT = (640, 640)


@pytest.mark.parametrize(
    ("frame_wh", "max_downscale", "expected_count"),
    [
        ((1, 1), 2.0, 1),
        ((640, 640), 1.0, 1),
        ((1280, 720), 2.0, 1),           # exactly at the limit: no tiles
        ((1281, 720), 2.0, 3),           # just over it: tiles
        ((720, 1280), 2.0, 1),
        ((416, 416), 2.0, 1),
        ((4000, 3000), 2.0, 1 + 4 * 3),
        ((4000, 3000), 8.0, 1),
        ((10000, 100), 2.0, 1 + 11),
        ((100, 10000), 2.0, 1 + 11),
    ],
)
def test_window_count_and_whole_frame_first(frame_wh, max_downscale, expected_count):
    windows = plan_windows(frame_wh, INPUT, max_downscale)
    assert windows[0] == (0, 0, *frame_wh)
    assert len(windows) == expected_count
    assert len(set(windows)) == len(windows)


def _covered(frame_wh, windows):
    w, h = frame_wh
    covered = np.zeros((h, w), bool)
    for x1, y1, x2, y2 in windows:
        covered[y1:y2, x1:x2] = True
    return covered


@pytest.mark.parametrize(
    ("frame_wh", "max_downscale"),
    [((4000, 3000), 2.0), ((3000, 4000), 2.0), ((4000, 3000), 1.5), ((1281, 720), 2.0),
     ((10000, 100), 2.0), ((6000, 4000), 3.0), ((5000, 1283), 1.0)],
)
def test_tiles_cover_every_pixel_and_stay_inside(frame_wh, max_downscale):
    w, h = frame_wh
    windows = plan_windows(frame_wh, INPUT, max_downscale)
    tiles = windows[1:]
    assert tiles, "a frame this large must be tiled"
    for x1, y1, x2, y2 in tiles:
        assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
        assert all(isinstance(v, int) for v in (x1, y1, x2, y2))
    # the tiles alone, without the whole-frame window, cover every pixel
    assert _covered(frame_wh, tiles).all()


@pytest.mark.parametrize(
    ("frame_wh", "max_downscale", "tile_wh"),
    [
        ((4000, 3000), 2.0, (1280, 1280)),
        ((4000, 3000), 1.5, (960, 960)),
        ((4000, 3000), 1.0, (640, 640)),
        ((10000, 100), 2.0, (1280, 100)),       # never taller than the frame
        ((100, 10000), 2.0, (100, 1280)),
    ],
)
def test_tile_size(frame_wh, max_downscale, tile_wh):
    tiles = plan_windows(frame_wh, INPUT, max_downscale)[1:]
    assert {(x2 - x1, y2 - y1) for x1, y1, x2, y2 in tiles} == {tile_wh}
    # each tile needs at most max_downscale of shrinking to fit the input
    tw, th = tile_wh
    assert max(tw / INPUT[0], th / INPUT[1]) <= max_downscale


@pytest.mark.parametrize("overlap", [0.25, 0.5])
def test_neighbouring_tiles_overlap(overlap):
    tiles = plan_windows((4000, 3000), INPUT, 2.0, overlap=overlap)[1:]
    xs = sorted({t[0] for t in tiles})
    ys = sorted({t[1] for t in tiles})
    tile = 1280
    assert xs[0] == 0 and xs[-1] == 4000 - tile
    assert ys[0] == 0 and ys[-1] == 3000 - tile
    for starts in (xs, ys):
        steps = np.diff(starts)
        assert (steps > 0).all()
        assert (tile - steps >= overlap * tile - 1).all()


def test_small_plate_anywhere_fits_whole_in_some_tile():
    """With 25 % overlap, any box up to a quarter tile wide and high lies wholly inside a tile, so no
    plate is only ever seen cut in two."""
    tiles = np.array(plan_windows((4000, 3000), INPUT, 2.0)[1:])
    size = 1280 // 4
    for x in range(0, 4000 - size + 1, 37):
        for y in range(0, 3000 - size + 1, 53):
            inside = ((tiles[:, 0] <= x) & (tiles[:, 1] <= y)
                      & (tiles[:, 2] >= x + size) & (tiles[:, 3] >= y + size))
            assert inside.any(), (x, y)
