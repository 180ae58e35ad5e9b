"""Correct a processed video in the page: on a paused frame, remove a track and draw a fixed region;
the video is exported again without the detector, and every frame of the download is checked."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tests.support import media

pytest.importorskip("av")

FRAMES = 24            # pan.mp4's first frames
DRAWN_ON = 12          # the frame the region is drawn on
MARGIN = 16            # px kept between the drawn region and any plate
UNCHANGED_MAX_ERROR = 10.0  # mean absolute difference of re-encoding alone (the page's encoder, on fine detail)
UNCHANGED_MIN_DETAIL = 0.6  # share of the original's detail that re-encoding alone keeps


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    out = tmp_path_factory.mktemp("video-edit") / "short.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(media.ensure_media() / "pan.mp4"),
                    "-frames:v", str(FRAMES), "-an", "-c:v", "libx264", "-crf", "12", "-bf", "0",
                    "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


def plate_boxes(index: int) -> dict[int, list[float]]:
    """pan.mp4's plates on frame ``index``: {plate id: box}."""
    clip = media.truth("pan.mp4")
    return dict(zip(clip["plate_ids"][index], clip["frames"][index][1]))


def overlaps(a, b, margin: float = 0) -> bool:
    return a[0] - margin < b[2] and b[0] - margin < a[2] and a[1] - margin < b[3] and b[1] - margin < a[3]


def textured_box(originals, size=(48, 24)) -> list[int]:
    """A box with detail on every frame, away from every plate and from the frame-index marker."""
    h, w = originals[0].shape[:2]
    plates = [box for i in range(FRAMES) for box in plate_boxes(i).values()]
    best, best_detail = None, 0.0
    for y in range(8, h - size[1] - 8, 8):
        for x in range(80, w - size[0] - 8, 8):
            box = [x, y, x + size[0], y + size[1]]
            if any(overlaps(box, p, MARGIN) for p in plates):
                continue
            least = min(media.detail(frame, box) for frame in originals)
            if least > best_detail:
                best, best_detail = box, least
    assert best is not None and best_detail > 20, "no textured place away from the plates"
    return best


def unchanged(original: np.ndarray, output: np.ndarray, box) -> bool:
    """Only re-encoded there: the detail is kept and the pixels are close."""
    x1, y1, x2, y2 = media.inner_pixels(box, original.shape[:2])
    error = float(np.abs(original[y1:y2, x1:x2].astype(np.int16) - output[y1:y2, x1:x2]).mean())
    return error <= UNCHANGED_MAX_ERROR and media.detail_ratio(original, output, box) >= UNCHANGED_MIN_DETAIL


def test_remove_a_track_and_draw_a_fixed_region_then_the_export_is_redone_without_the_detector(app, clip, tmp_path):
    page = app.page
    app.upload([clip])
    card = app.result("short.mp4")
    assert card.get_attribute("data-state") == "done", card.locator(".status").text_content()
    originals, _ = media.read_video(clip)
    first_href = card.locator("a[download]").get_attribute("href")
    first_path = tmp_path / "first.mp4"
    first_path.write_bytes(app.download(card)[1])
    first, _ = media.read_video(first_path)
    runs = page.evaluate("() => window.plateblur.sync.model_runs()")
    assert runs >= FRAMES, f"the detector ran {runs} times for {FRAMES} frames"

    # pause on frame DRAWN_ON: its regions are shown, each with its track's remove control
    card.locator("input.seek").fill(f"{(DRAWN_ON + 0.3) / 30:.2f}")
    editor = card.locator("[data-role=editor]")
    page.wait_for_function("([el, f]) => el.dataset.frame === String(f)", arg=[editor.element_handle(), DRAWN_ON],
                           timeout=20_000)
    regions = app.data(card, "regions")
    controls = card.locator("[data-action=remove-region]")
    assert controls.count() == len(regions) >= 2, regions
    big_plate = 0                                    # the widest plate in these frames
    target = plate_boxes(DRAWN_ON)[big_plate]
    k = next(k for k, region in enumerate(regions) if overlaps(region, target))
    track = controls.nth(k).get_attribute("data-track")

    controls.nth(k).click()
    drawn = textured_box(originals)
    box = editor.bounding_box()
    h, w = originals[0].shape[:2]
    point = lambda x, y: (box["x"] + x / w * box["width"], box["y"] + y / h * box["height"])  # noqa: E731
    assert card.locator("[data-action=region-mode]").input_value() == "fixed"
    page.mouse.move(*point(drawn[0], drawn[1]))
    page.mouse.down()
    page.mouse.move(*point(drawn[2], drawn[3]), steps=5)
    page.mouse.up()

    page.wait_for_function("([el, href]) => el.dataset.state !== 'working' && el.querySelector('a[download]').href !== href",
                           arg=[card.element_handle(), first_href], timeout=120_000)
    assert card.get_attribute("data-state") == "done", card.locator(".status").text_content()
    assert page.evaluate("() => window.plateblur.sync.model_runs()") == runs, "the re-export ran the detector"
    assert f'data-track="{track}"' not in card.inner_html(), "the removed track is still shown"

    inside = [drawn[0] + 2, drawn[1] + 2, drawn[2] - 2, drawn[3] - 2]      # the drag is exact to a pixel or so
    around = [drawn[0] - 2, drawn[1] - 2, drawn[2] + 2, drawn[3] + 2]
    out = tmp_path / "edited.mp4"
    out.write_bytes(app.download(card)[1])
    frames, _ = media.read_video(out)
    assert len(frames) == FRAMES
    for i, (before, once, after) in enumerate(zip(originals, first, frames)):
        assert media.frame_index(after) == i, f"frame {i} is out of order"
        plates = plate_boxes(i)
        assert media.plate_obscured(before, once, plates[big_plate]), f"frame {i}: not obscured the first time"
        assert unchanged(before, after, plates[big_plate]), f"frame {i}: the removed track is still obscured"
        for plate, plate_box in plates.items():
            if plate != big_plate:
                assert media.plate_obscured(before, after, plate_box), f"frame {i}: plate {plate} is visible"
        if i >= DRAWN_ON:
            assert media.plate_obscured(before, after, inside), f"frame {i}: the drawn region is not obscured"
        else:
            assert unchanged(before, after, around), f"frame {i}: obscured before it was drawn"

    # undo takes the drawn region back; the track stays removed
    href = card.locator("a[download]").get_attribute("href")
    card.locator("[data-action=undo]").click()
    page.wait_for_function("([el, href]) => el.dataset.state !== 'working' && el.querySelector('a[download]').href !== href",
                           arg=[card.element_handle(), href], timeout=120_000)
    assert card.get_attribute("data-state") == "done", card.locator(".status").text_content()
    undone = tmp_path / "undone.mp4"
    undone.write_bytes(app.download(card)[1])
    frames, _ = media.read_video(undone)
    for i in range(DRAWN_ON, FRAMES):
        assert unchanged(originals[i], frames[i], around), f"frame {i}: the drawn region is still obscured after undo"
        assert unchanged(originals[i], frames[i], plate_boxes(i)[big_plate]), f"frame {i}: the removed track came back"
    assert page.evaluate("() => window.plateblur.sync.model_runs()") == runs
