"""A processed video's corrections (plateblur.video_edits) and their re-export (its ReplayProcessor):
tracks removed on every frame, regions drawn on a frame (fixed or following the content) for a
span, the detector never run again."""
from __future__ import annotations

import ast

import numpy as np
import pytest

from plateblur.edits import EditError
from plateblur.frames import BaseProcessor, FrameProcessor, run_sync
from plateblur.settings import Settings
from plateblur.video_edits import Drawn, Follower, Replay, ReplayProcessor, TrackRecord, VideoEdits, drawn_id
from tests.unit.test_frames import AsyncModel, FakeJob, Frame, plate_frame, run
from tools.testkit import REPO_ROOT

W, H = 320, 240


def rows_of(*tracks):
    """Rows frame, track, x1, y1, x2, y2 of tracks given as (id, {frame: box})."""
    return np.asarray([[f, t, *box] for t, boxes in tracks for f, box in boxes.items()], np.int32)


def replay(rows, failed, edits: VideoEdits, frames) -> TrackRecord:
    """What a re-export obscures on each of ``frames``: ReplayProcessor's record of the pass."""
    record = TrackRecord()
    processor = ReplayProcessor(Replay(rows, failed, edits), Settings(), record=record)
    for rgb in frames:
        run_sync(processor.process(rgb))
    return record


def blank(n=6):
    return [np.zeros((H, W, 3), np.uint8) for _ in range(n)]


def by_frame(record: TrackRecord) -> dict[int, list[tuple[int, tuple[int, ...]]]]:
    out: dict[int, list] = {}
    for f, t, *box in record.rows.tolist():
        out.setdefault(f, []).append((t, tuple(box)))
    return out


PLATE_1 = {f: (10 + f, 20, 50 + f, 32) for f in range(6)}
PLATE_2 = {f: (200, 100, 240, 112) for f in range(1, 5)}
RECORD = rows_of((1, PLATE_1), (2, PLATE_2))


def test_no_edits_replay_the_record_unchanged():
    out = replay(RECORD, [], VideoEdits(), blank())
    assert sorted(map(tuple, out.rows.tolist())) == sorted(map(tuple, RECORD.tolist()))


def test_removing_a_track_removes_it_on_every_frame_and_keeps_the_others():
    out = by_frame(replay(RECORD, [], VideoEdits(removed=frozenset({1})), blank()))
    assert out == {f: [(2, box)] for f, box in PLATE_2.items()}


def test_a_fixed_region_covers_its_span_only_and_is_rounded_outwards():
    drawn = Drawn(2, (100.4, 50.6, 130.2, 60.0), follow=False, until=3)
    out = by_frame(replay(RECORD, [], VideoEdits(added=(drawn,)), blank()))
    for f in range(6):
        mine = [box for t, box in out.get(f, []) if t == drawn_id(0)]
        assert mine == ([(100, 50, 131, 60)] if f in (2, 3) else []), f


def test_a_fixed_region_goes_to_the_end_by_default_and_is_clipped_to_the_frame():
    drawn = Drawn(4, (300.0, 230.0, 400.0, 300.0))
    out = by_frame(replay(RECORD, [], VideoEdits(added=(drawn,)), blank()))
    assert [(f, box) for f in range(6) for t, box in out.get(f, []) if t < 0] == \
        [(4, (300, 230, W, H)), (5, (300, 230, W, H))]


def moving_patch_frames(n, size_wh, start_xy, step_xy, seed=1):
    """Frames of a noise background with a textured patch (other noise) moving ``step_xy`` per frame."""
    rng = np.random.default_rng(seed)
    background = rng.integers(0, 256, (H, W, 3), np.uint8)
    patch = rng.integers(0, 256, (size_wh[1], size_wh[0], 3), np.uint8)
    frames = []
    for i in range(n):
        frame = background.copy()
        x, y = start_xy[0] + step_xy[0] * i, start_xy[1] + step_xy[1] * i
        frame[y:y + size_wh[1], x:x + size_wh[0]] = patch
        frames.append(frame)
    return frames


@pytest.mark.parametrize("size_wh, step_xy", [((40, 14), (3, 2)), ((120, 60), (-7, 4))])
def test_a_followed_region_moves_with_what_was_drawn_over(size_wh, step_xy):
    start = (100, 80)
    frames = moving_patch_frames(8, size_wh, start, step_xy)
    x, y = start[0] + 2 * step_xy[0], start[1] + 2 * step_xy[1]          # where it is on frame 2
    box = (x, y, x + size_wh[0], y + size_wh[1])
    out = by_frame(replay(np.zeros((0, 6), np.int32), [], VideoEdits(added=(Drawn(2, box, follow=True),)), frames))
    assert sorted(out) == list(range(2, 8))
    for f in range(2, 8):
        (t, (x1, y1, x2, y2)), = out[f]
        assert t == -1
        tolerance = max(1, size_wh[0] // 24 + 1)
        assert abs(x1 - (start[0] + step_xy[0] * f)) <= tolerance, (f, x1)
        assert abs(y1 - (start[1] + step_xy[1] * f)) <= tolerance, (f, y1)
        assert (x2 - x1, y2 - y1) == size_wh


def test_a_followed_region_on_a_plain_frame_stays_put():
    follower = Follower(blank(1)[0], (10.0, 10.0, 50.0, 30.0))
    assert follower.step(blank(1)[0]) == (10.0, 10.0, 50.0, 30.0)


def test_undo_is_the_earlier_whole_set():
    first = VideoEdits(removed=frozenset({2}))
    second = VideoEdits(removed=frozenset({2}), added=(Drawn(0, (1.0, 1.0, 9.0, 9.0)),))
    after_undo = replay(RECORD, [], first, blank()).rows
    assert not np.array_equal(replay(RECORD, [], second, blank()).rows, after_undo)
    assert np.array_equal(after_undo, replay(RECORD, [], VideoEdits.from_plain({"removed": [2]}, 6), blank()).rows)


def test_edits_from_the_page_are_checked():
    edits = VideoEdits.from_plain({"removed": [3], "added": [
        {"frame": 1, "box": [30, 40, 10, 20], "mode": "follow", "until": None},
        {"frame": 2, "box": [0, 0, 5, 5], "mode": "fixed", "until": 4}]}, 6)
    assert edits == VideoEdits(frozenset({3}), (Drawn(1, (10.0, 20.0, 30.0, 40.0), True, None),
                                               Drawn(2, (0.0, 0.0, 5.0, 5.0), False, 4)))
    bad = {
        "a region is drawn on frame 6; the video has frames 0 to 5": {"frame": 6, "box": [0, 0, 5, 5]},
        "a region drawn on frame 3 cannot end before it, on frame 2": {"frame": 3, "box": [0, 0, 5, 5], "until": 2},
        "a drawn region must be four finite numbers x1, y1, x2, y2": {"frame": 0, "box": [0, 0, 5, "nan"]},
    }
    for message, item in bad.items():
        with pytest.raises(EditError) as caught:
            VideoEdits.from_plain({"added": [item]}, 6)
        assert str(caught.value) == message
    with pytest.raises(EditError, match="mode is 'fixed' or 'follow', not 'blur'"):
        VideoEdits.from_plain({"added": [{"frame": 0, "box": [0, 0, 5, 5], "mode": "blur"}]}, 6)


# --- the whole path: process with the record, then re-export from it without the detector --------------

def test_processing_records_each_frames_regions_with_stable_track_ids():
    frames = [plate_frame(20 + 4 * i) for i in range(5)]
    record = TrackRecord()
    run(FakeJob(Frame(rgb) for rgb, _ in frames), FrameProcessor(AsyncModel(), Settings(), record=record))
    rows = record.rows
    assert rows[:, 0].tolist() == [0, 1, 2, 3, 4]
    assert set(rows[:, 1].tolist()) == {1}
    for (rgb, box), row in zip(frames, rows.tolist()):     # the padded region holds the plate
        x1, y1, x2, y2 = row[2:]
        assert x1 <= box[0] and y1 <= box[1] and x2 >= box[2] and y2 >= box[3]


def test_a_re_export_obscures_the_edited_regions_and_never_runs_the_detector():
    frames = [plate_frame(20 + 4 * i) for i in range(5)]
    model, record = AsyncModel(), TrackRecord()
    first = FakeJob(Frame(rgb) for rgb, _ in frames)
    run(first, FrameProcessor(model, Settings(mode="fill"), record=record))
    runs = model.runs
    drawn = (200, 40, 260, 70)
    edits = VideoEdits(removed=frozenset({1}), added=(Drawn(2, tuple(map(float, drawn))),))
    again = FakeJob(Frame(rgb.copy()) for rgb, _ in frames)
    replayed = TrackRecord()
    run(again, ReplayProcessor(Replay(record.rows, record.failed, edits), Settings(mode="fill"),
                               record=replayed))
    assert model.runs == runs, "the re-export ran the detector"
    for i, ((rgb, box), out, before) in enumerate(zip(frames, again.out, first.out)):
        x1, y1, x2, y2 = box
        assert np.array_equal(out[y1:y2, x1:x2], rgb[y1:y2, x1:x2]), f"frame {i}: the removed track is still obscured"
        assert not np.array_equal(before[y1:y2, x1:x2], rgb[y1:y2, x1:x2])
        a1, b1, a2, b2 = drawn
        changed = not np.array_equal(out[b1:b2, a1:a2], rgb[b1:b2, a1:a2])
        assert changed == (i >= 2), f"frame {i}: drawn region obscured: {changed}"
    assert by_frame(replayed) == {f: [(-1, drawn)] for f in range(2, 5)}


def test_a_frame_that_failed_stays_hidden_whole_in_the_re_export():
    frames = [plate_frame(20 + 4 * i) for i in range(4)]
    record = TrackRecord()
    run(FakeJob(Frame(rgb) for rgb, _ in frames), FrameProcessor(AsyncModel(fail_on={2}), Settings(), record=record))
    assert record.failed == [1]
    again = FakeJob(Frame(rgb.copy()) for rgb, _ in frames)
    processor = ReplayProcessor(Replay(record.rows, record.failed, VideoEdits(removed=frozenset({1}))),
                                Settings())
    run(again, processor)
    assert processor.failed == 1 and not again.out[1].any()
    assert again.results[1].failed == "FrameFailedBefore: frame 1 failed when the video was processed"


def test_the_core_frame_loop_knows_nothing_of_the_re_export():
    """frames.py is the frame loop of every stream; the replay (a page feature) builds on it, not in it."""
    tree = ast.parse((REPO_ROOT / "py" / "plateblur" / "frames.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert imported and not {name for name in imported if name and "video_edits" in name}
    assert issubclass(ReplayProcessor, BaseProcessor)
