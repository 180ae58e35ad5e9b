"""Video exports keep every frame's own timestamp (a variable frame rate, a Matroska start off the
frame grid) and copy every audio track packet for packet; export files in the Origin Private File
System are cleared when no tab holds them (a reload mid-video), never while another tab works."""
from __future__ import annotations

import numpy as np
import pytest

from tools.testkit import media

pytest.importorskip("av")

VARIANTS = ["vfr.mp4", "two-audio.mp4", "pan.mkv"]
LIST_EXPORTS = """async () => {
  let folder;
  try { folder = await (await navigator.storage.getDirectory()).getDirectoryHandle("plateblur-exports"); }
  catch { return []; }
  const files = [];
  for await (const [name, handle] of folder.entries()) files.push([name, (await handle.getFile()).size]);
  return files;
}"""
# the n-th video card is processing frames
VIDEO_UNDER_WAY = "n => { const bars = document.querySelectorAll('.result.video .frames'); return bars.length >= n && bars[n - 1].value > 0; }"


@pytest.fixture(scope="module")
def clips():
    return media.ensure_media()


@pytest.fixture(scope="module")
def processed(app, clips):
    """The variants, with a second tab of the app opened (it clears unheld exports as it starts)
    while the first one is under way."""
    page = app.page
    app.hide(faces=False)     # plates only: false face regions on the synthetic pan cover the frames' markers
    page.set_input_files("input[type=file]", [str(clips / name) for name in VARIANTS])
    page.wait_for_function(VIDEO_UNDER_WAY, arg=1, timeout=120_000)
    other = app.context.new_page()
    other.goto(app.site_url)
    other.wait_for_function("() => document.body.dataset.app === 'ready'", timeout=120_000)
    other.close()
    app.wait_settled(len(VARIANTS))
    return {name: app.result(name) for name in VARIANTS}


@pytest.mark.parametrize("name", VARIANTS)
def test_every_frame_keeps_its_timestamp_and_every_audio_track_is_copied(app, processed, clips, name, tmp_path):
    variant = media.variant(name)
    result = processed[name]
    assert result.get_attribute("data-state") == "done", result.locator(".status").text_content()
    assert "left out" not in result.locator(".rate").text_content()
    filename, data = app.download(result)
    out = tmp_path / filename
    out.write_bytes(data)

    original_frames, original_stamps = media.read_video(clips / name)
    frames, stamps = media.read_video(out)
    assert len(frames) == len(original_frames) == variant["frame_count"]
    if variant["timestamps_us"]:
        assert original_stamps == variant["timestamps_us"], "the test clip is not the one described"
    moved = np.subtract(stamps, original_stamps)
    assert np.abs(moved).max() <= 1000, f"frame timestamps moved (us): {moved.tolist()}"

    original_audio = media.audio_tracks(clips / name)
    assert len(original_audio) == len(variant["audio"])
    audio = media.audio_tracks(out)
    assert len(audio) == len(original_audio), "an audio track was dropped"
    for k, (copied, original) in enumerate(zip(audio, original_audio)):
        assert copied == original, f"audio track {k + 1} was not copied packet for packet"

    for i, (before, after) in enumerate(zip(original_frames, frames)):
        assert media.frame_index(after, original_frames) == i, f"frame {i} is out of order"
        must, _ = media.boxes_of(variant["frames_of"], i)
        assert all(media.plate_obscured(before, after, box) for box in must), f"a plate is visible in frame {i}"


def exports(page) -> dict[str, int]:
    """Export name -> size in bytes (Chromium writes through a "<name>.crswap" side file, left out)."""
    return {name: size for name, size in page.evaluate(LIST_EXPORTS) if not name.endswith(".crswap")}


def test_exports_stay_while_offered_and_a_reload_mid_video_leaves_none_behind(app, processed, clips):
    page = app.page
    offered = exports(page)
    assert len(offered) == len(VARIANTS) and all(offered.values()), "the offered exports are in the folder"
    page.set_input_files("input[type=file]", [str(clips / "pan.mp4")])
    page.wait_for_function(VIDEO_UNDER_WAY, arg=len(VARIANTS) + 1, timeout=120_000)
    writing = {name: size for name, size in exports(page).items() if name not in offered}
    assert list(writing.values()) == [0], "the export being written is in the folder, empty until it is closed"
    page.reload()
    app.wait_ready()
    assert page.evaluate(LIST_EXPORTS) == []
