"""Ctrl-C (and SIGTERM, test_safety runs both for real) ends a run with one true summary line and no
partial file; --resume then does only what is not there yet, counting what it left out."""
from __future__ import annotations

import os
import re
import signal

import pytest
from PIL import Image

from tests.cli.cli_run import SUMMARY, copy_sample, files_under, run_main
from tools.testkit import MEDIA, media

INTERRUPTED = r"plateblur: interrupted; {done} done, {failed} failed, {not_done} not done; {partial}; \d+\.\d s"
RESUMED = (r"plateblur: {done} done, 0 failed, {skipped} skipped, {there} already there \(--resume\); "
           r"\d+ plates?, \d+ faces? found; \d+\.\d s")


def photos(folder, count: int) -> None:
    for i in range(count):
        copy_sample("openimages-08.jpg" if i % 2 else "openimages-09.jpg", folder, f"p{i}.jpg")


def test_ctrl_c_after_a_photo_is_counted_gives_one_true_summary(tmp_path, monkeypatch, capsys):
    """Ctrl-C lands just after the second photo is reported: the photos in flight are finished and
    counted, the rest not started, and the summary's counts are the files there."""
    from plateblur.cpython.progress import Progress

    monkeypatch.chdir(tmp_path)
    photos(tmp_path / "in", 8)
    real_record = Progress.record
    calls = []

    def record(self, rec):
        real_record(self, rec)
        calls.append(rec)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(Progress, "record", record)
    code, out, err = run_main("-j", "1", "in", "-o", "out", capsys=capsys)
    assert (code, out) == (130, "")
    *done_lines, summary = err.splitlines()
    match = re.fullmatch(INTERRUPTED.format(done=r"(\d+)", failed=0, not_done=r"(\d+)",
                                            partial="no partial files left"), summary)
    assert match, err
    written = files_under(tmp_path / "out")
    assert 2 <= len(written) == int(match[1]) == len(done_lines) == 8 - int(match[2]) < 8
    assert all(re.fullmatch(r"p\d\.jpg", name) for name in written)       # no temporary file
    assert all(re.fullmatch(r"\[\d/8\] in/p\d\.jpg -> out/p\d\.jpg: \d+ plates?, \d+ faces?", line) for line in done_lines)


def test_a_signal_as_the_threads_start_leaves_no_result_behind_the_summary(tmp_path, monkeypatch, capsys):
    """SIGTERM lands while the first photos are handed to the threads (the earliest moment threads
    exist): when the run returns, every thread has ended, and the summary counts the files there
    (an interrupt raised at that line used to leave threads writing results after the summary)."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from plateblur.cpython import batch

    class SignalOnFirstSubmit(ThreadPoolExecutor):
        def submit(self, *args, **kwargs):
            future = super().submit(*args, **kwargs)
            if not getattr(self, "signalled", False):
                self.signalled = True
                os.kill(os.getpid(), signal.SIGTERM)
            return future

    monkeypatch.setattr(batch, "ThreadPoolExecutor", SignalOnFirstSubmit)
    monkeypatch.chdir(tmp_path)
    photos(tmp_path / "in", 8)
    code, out, err = run_main("-j", "2", "in", "-o", "out", capsys=capsys)
    written = files_under(tmp_path / "out")
    time.sleep(1.0)
    assert files_under(tmp_path / "out") == written, "a thread went on writing after the run returned"
    assert (code, out) == (130, "")
    match = re.fullmatch(INTERRUPTED.format(done=r"(\d+)", failed=0, not_done=r"(\d+)",
                                            partial="no partial files left"), err.splitlines()[-1])
    assert match, err
    assert len(written) == int(match[1]) == 8 - int(match[2]) < 8


def test_ctrl_c_during_videos_says_none_finished_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    """The interrupt arrives as a real SIGINT while the first video's frames are worked on: the video
    stops, writes nothing and is not counted as done or failed; the second never starts."""
    pytest.importorskip("av")
    from plateblur.cpython.progress import Progress

    monkeypatch.chdir(tmp_path)
    for name in ("one.mp4", "two.mp4"):
        (tmp_path / name).write_bytes(media.media_path("pan.mp4").read_bytes())
    frames = []

    def frame(self):
        frames.append(1)
        if len(frames) == 3:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(Progress, "frame", frame)
    code, _, err = run_main("-j", "1", "one.mp4", "two.mp4", "-o", "out", capsys=capsys)
    assert code == 130
    assert re.fullmatch(INTERRUPTED.format(done=0, failed=0, not_done=2, partial="no partial files left") + "\n",
                        err), err
    assert files_under(tmp_path / "out") == set()
    assert len(frames) < 150                                  # it stopped early, not at the video's end


def test_resume_does_the_rest_and_ignores_a_temporary_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    photos(tmp_path / "in", 2)
    photos(tmp_path / "in" / "sub", 2)
    (tmp_path / "out" / "sub").mkdir(parents=True)
    earlier = b"an earlier, complete result"
    (tmp_path / "out" / "p0.jpg").write_bytes(earlier)
    stale = tmp_path / "out" / "sub" / ".p1.jpg.k3x9_q2z.part"       # what a killed run leaves
    stale.write_bytes(b"half a photo")
    code, _, err = run_main("-r", "in", "-o", "out", "--resume", capsys=capsys)
    assert code == 0, err
    assert re.fullmatch(RESUMED.format(done=3, skipped=0, there=1), err.splitlines()[-1]), err
    assert len(err.splitlines()) == 4                           # a line for each of the 3 done, one summary
    assert (tmp_path / "out" / "p0.jpg").read_bytes() == earlier
    assert files_under(tmp_path / "out") == {"p0.jpg", "p1.jpg", "sub", "sub/p0.jpg", "sub/p1.jpg",
                                             "sub/.p1.jpg.k3x9_q2z.part"}
    Image.open(tmp_path / "out" / "sub" / "p1.jpg").load()          # written whole, not the temporary

    code, _, err = run_main("-r", "in", "-o", "out", "--resume", capsys=capsys)
    assert (code, len(err.splitlines())) == (0, 1), err
    assert re.fullmatch(RESUMED.format(done=0, skipped=0, there=4), err.rstrip("\n"))


def test_without_resume_or_overwrite_the_refusal_names_resume(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    photos(tmp_path, 1)
    assert run_main("-q", "p0.jpg", capsys=capsys)[0] == 0
    code, _, err = run_main("p0.jpg", capsys=capsys)
    assert (code, err) == (1, "plateblur: p0_anonymised.jpg already exists; use --resume to do only what is not "
                              "there yet, --overwrite to replace earlier results, or another -o folder\n")


def test_resume_on_an_object_store(tmp_path, monkeypatch, capsys):
    pytest.importorskip("pyarrow")
    from plateblur.cpython import remote

    monkeypatch.chdir(tmp_path)
    remote.filesystem.cache_clear()
    memory = remote.filesystem("mock://", "")[0]
    try:
        memory.create_dir("in")
        for name in ("a.jpg", "b.jpg"):
            with memory.open_output_stream(f"in/{name}") as stream:
                stream.write((MEDIA / "openimages-08.jpg").read_bytes())
        memory.create_dir("out")
        with memory.open_output_stream("out/a.jpg") as stream:
            stream.write(b"earlier")
        code, _, err = run_main("mock:///in", "-o", "mock:///out", "--resume", capsys=capsys)
        assert code == 0, err
        assert re.fullmatch(RESUMED.format(done=1, skipped=0, there=1), err.splitlines()[-1]), err
        assert memory.open_input_stream("out/a.jpg").read() == b"earlier"
        assert memory.open_input_stream("out/b.jpg").read()[:2] == b"\xff\xd8"
    finally:
        remote.filesystem.cache_clear()


def test_summary_without_resume_is_unchanged(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    photos(tmp_path, 1)
    code, _, err = run_main("p0.jpg", "-o", "out", capsys=capsys)
    assert code == 0 and re.fullmatch(SUMMARY.format(done=1, failed=0, skipped=0), err.splitlines()[-1])
