"""Videos on the command line: the page's per-frame path (every plate in every frame obscured), each
frame's timestamp kept (variable frame rate too), audio copied packet for packet, no metadata but
each stream's language and title, 4:2:0 at any size, a frame the model fails on written black,
--json per frame or per video, mixed batches, bad videos and a missing PyAV each one line while the
batch goes on.

The batch of test clips is anonymised once per module (the slow part: about 500 frames)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.cli.cli_run import SUMMARY, copy_sample, files_under, json_lines, run_cli, run_main
from tools.testkit import media

av = pytest.importorskip("av")

TAGS = {"title": "Holiday 2026", "comment": "Erika Mustermann", "location": "+48.1374+011.5755/",
        "creation_time": "2026-07-01T10:00:00.000000Z"}
STREAM_TAGS = {"video": {"language": "fra", "title": "Front camera"}, "audio": {"language": "deu", "title": "Deutsch"}}
# results of the batch, named as the one naming rule gives: each keeps its extension, so none clash
RESULTS = {"pan.mkv": "pan.mkv", "pan.mov": "pan.mov", "pan.mp4": "pan.mp4", "pan.png": "pan.png",
           "pan.webm": "pan.webm"}
CODECS = {"pan.mkv": "h264", "pan.mov": "h264", "pan.mp4": "h264", "pan.webm": "vp9"}
PANS = ["pan.mp4", "pan.webm", "pan.mov", "pan.mkv"]


def make_vfr_mkv(target: Path, gop_end_s: float = 2.0) -> None:
    """pan.mp4's first group of pictures (60 frames, 2 s) and its audio, remuxed into Matroska with
    the frames' timestamps bent by t -> t + t^2 / 4 (a variable frame rate: 33 ms gaps growing to
    67 ms), with container and stream tags that must not reach the result (STREAM_TAGS' language
    and title must)."""
    with av.open(str(media.media_path("pan.mp4"))) as src, av.open(str(target), "w", format="matroska") as dst:
        streams = {}
        for stream in (src.streams.video[0], src.streams.audio[0]):
            streams[stream.index] = dst.add_stream_from_template(stream)
            streams[stream.index].metadata.update({**STREAM_TAGS[stream.type], "comment": TAGS["comment"]})
        dst.metadata.update(TAGS)
        video = src.streams.video[0]
        for packet in src.demux():
            if packet.dts is None:
                continue
            seconds = float(packet.dts * packet.time_base)
            if packet.stream.type == "video" and packet.is_keyframe and seconds >= gop_end_s - 0.1:
                break
            if packet.stream.type == "audio" and seconds >= gop_end_s:
                continue
            if packet.stream is video:
                bend = lambda t: round(t + t * t * packet.time_base / 4)
                packet.pts, packet.dts = bend(packet.pts), bend(packet.dts)
            packet.stream = streams[packet.stream.index]
            dst.mux(packet)


def frames_of(path: Path) -> tuple[list[np.ndarray], list[int]]:
    return media.read_video(path)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    for name in ("pan.mp4", "pan.webm", "pan.mov"):
        (folder / name).write_bytes(media.media_path(name).read_bytes())
    make_vfr_mkv(folder / "pan.mkv")
    return folder


@pytest.fixture(scope="module")
def batch(clips, tmp_path_factory):
    """One run over a folder of the four pans and a photo named like them, --jobs 2."""
    work = tmp_path_factory.mktemp("batch")
    folder = work / "in"
    folder.mkdir()
    for name in PANS:
        (folder / name).write_bytes((clips / name).read_bytes())
    copy_sample("dashcam-02.png", folder, "pan.png")
    # Plates only: the face model's false regions on the synthetic scenery cover the frame-index markers,
    # and a covered marker cell reads as 0. Faces in video: test_faces_in_a_video_are_hidden_in_every_frame.
    result = run_cli("in", "-o", "out", "--jobs", "2", "--hide", "plates", cwd=work)
    return work, result


def test_mixed_batch_writes_one_result_per_input_and_a_line_each(batch):
    work, result = batch
    assert result.returncode == 0, result.stderr
    assert files_under(work / "out") == set(RESULTS.values())
    plates = r"\d+ plates?"
    video = r"\d+ frames, up to " + plates + " in a frame"
    lines = result.stderr.splitlines()
    expected = [rf"\[{i}/5\] in/{re.escape(name)} -> out/{re.escape(target)}: "
                + (plates if name.endswith(".png") else video)
                for i, (name, target) in enumerate(RESULTS.items(), 1)] + [SUMMARY.format(done=5, failed=0, skipped=0).replace(r", \d+ faces?", "")]
    assert len(lines) == len(expected), result.stderr
    for line, pattern in zip(lines, expected):
        assert re.fullmatch(pattern, line), (line, pattern)
    assert "60 frames" in lines[0] and "150 frames" in lines[1]


@pytest.mark.parametrize("name", PANS)
def test_every_plate_in_every_frame_is_obscured(batch, clips, name):
    work, _ = batch
    before, _ = frames_of(clips / name)
    after, _ = frames_of(work / "out" / RESULTS[name])
    assert len(after) == len(before)
    checked = 0
    for i, (original, result) in enumerate(zip(before, after)):
        index = media.frame_index(result)
        assert index == media.frame_index(original), f"frame {i} shows another frame"
        must, _ = media.boxes_of("pan.mp4", index)
        for box in must:
            assert media.plate_obscured(original, result, box), f"{name} frame {i}: plate {box} readable"
            checked += 1
    assert checked >= 2 * len(before)


@pytest.mark.parametrize("name", PANS)
def test_frame_count_and_every_timestamp_are_kept(batch, clips, name):
    work, _ = batch
    _, before = frames_of(clips / name)
    _, after = frames_of(work / "out" / RESULTS[name])
    assert len(after) == len(before)
    assert max(abs(a - b) for a, b in zip(after, before)) <= 1000     # microseconds
    if name == "pan.mkv":   # the variable frame rate survived
        gaps = np.diff(after)
        assert gaps.min() < 35_000 and gaps.max() > 50_000


@pytest.mark.parametrize("name", PANS)
def test_audio_is_copied_packet_for_packet_and_the_codec_is_as_promised(batch, clips, name):
    work, _ = batch
    out = work / "out" / RESULTS[name]
    assert media.audio_packets(clips / name)
    assert media.audio_packets(out) == media.audio_packets(clips / name)
    with av.open(str(out)) as container:
        assert [s.type for s in container.streams] == ["video", "audio"]
        assert container.streams.video[0].codec_context.name == CODECS[name]


def test_no_metadata_is_copied_but_each_streams_language_and_title(batch, clips):
    work, _ = batch
    with av.open(str(clips / "pan.mkv")) as container:       # the input has them
        assert {k.lower(): v for k, v in container.metadata.items()}.items() >= {"title": TAGS["title"]}.items()
    with av.open(str(work / "out" / RESULTS["pan.mkv"])) as container:
        values = {**container.metadata}
        for stream in container.streams:
            kept = {k: v for k, v in stream.metadata.items() if k in ("language", "title")}
            assert kept == STREAM_TAGS[stream.type], stream
            values.update({f"{stream.index}:{k}": v for k, v in stream.metadata.items() if k not in kept})
    assert not {k for k in values if k.split(":")[-1].lower() in ("title", "comment", "location",
                                                                    "creation_time", "language")}, values
    assert not set(TAGS.values()) & set(values.values()), values


def _tags(path: Path) -> list[tuple[str, dict]]:
    """Each stream's type and language and title tags, as ffprobe reads them."""
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type:stream_tags=language,title",
                          "-of", "json", str(path)], capture_output=True, text=True, check=True).stdout
    return [(s["codec_type"], s.get("tags", {})) for s in json.loads(out)["streams"]]


@pytest.mark.parametrize("extension", [".mkv", ".mp4"])
def test_every_streams_language_and_title_are_kept(tmp_path, extension):
    """two-audio.mp4's tracks, tagged; MP4 holds no track titles (FFmpeg writes none), Matroska does."""
    tags = [("video", {"language": "fra", "title": "Front camera"}), ("audio", {"language": "deu", "title": "Deutsch"}),
            ("audio", {"language": "eng", "title": "English"})]
    options = [part for i, (_, kept) in enumerate(tags) for key, value in kept.items()
               for part in (f"-metadata:s:{i}", f"{key}={value}")]
    source = tmp_path / f"tagged{extension}"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(media.media_path("two-audio.mp4")), "-map", "0", "-c", "copy",
                    *options, str(source)], check=True)
    expected = tags if extension == ".mkv" else [(kind, {"language": kept["language"]}) for kind, kept in tags]
    assert _tags(source) == expected
    result = run_cli("-q", "-o", "out", source.name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert _tags(tmp_path / "out" / source.name) == expected


@pytest.mark.parametrize(("extension", "codec", "size"), [(".mp4", "h264", (642, 362)), (".webm", "vp9", (641, 361))])
def test_an_odd_sized_video_comes_back_in_yuv420p(tmp_path, extension, codec, size):
    """H.264 in 4:2:0 needs even sides: 641x361 grows by a pixel each way (the edge repeated); VP9
    keeps it."""
    source = tmp_path / f"odd{extension}"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=10:duration=1",
                    "-vf", "scale=641:361", "-c:v", "libx264" if extension == ".mp4" else "libvpx-vp9", "-pix_fmt", "yuv444p", str(source)],
                   check=True)
    result = run_cli("-q", "-o", "out", source.name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with av.open(str(tmp_path / "out" / source.name)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.pix_fmt) == (codec, "yuv420p")
        assert (stream.width, stream.height) == size
    frames, _ = frames_of(tmp_path / "out" / source.name)
    before, _ = frames_of(source)
    assert len(frames) == len(before) == 10 and before[5].shape == (361, 641, 3)
    last = np.abs(frames[5][:361, :641].astype(int) - before[5].astype(int)).mean()
    assert last < 6, "the picture is where it was, not shifted or scaled"
    if size != (641, 361):
        edge = np.abs(frames[5][:361, 641].astype(int) - frames[5][:361, 640].astype(int)).mean()
        assert edge < 6, "the added column repeats the last one"


def test_json_prints_one_line_per_frame_with_its_timestamp_and_regions(clips, tmp_path):
    result = run_cli("--json", clips / "pan.mkv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = json_lines(result.stdout)
    frames, stamps = frames_of(clips / "pan.mkv")
    assert [r["frame"] for r in records] == list(range(len(frames)))
    assert {r["path"] for r in records} == {str(clips / "pan.mkv")}
    assert set(records[0]) == {"path", "frame", "timestamp", "regions", "kinds"}
    assert all(len(r["kinds"]) == len(r["regions"]) and set(r["kinds"]) <= {"plate", "face"} for r in records)
    assert max(abs(r["timestamp"] * 1e6 - s) for r, s in zip(records, stamps)) <= 1000
    for record, frame in zip(records, frames):
        must, _ = media.boxes_of("pan.mp4", media.frame_index(frame))
        for x1, y1, x2, y2 in must:    # every plate inside a reported region
            assert any(a <= x1 + 1 and b <= y1 + 1 and c >= x2 - 1 and d >= y2 - 1
                       for a, b, c, d in record["regions"]), (record, must)
    assert files_under(tmp_path) == set()


def test_json_summary_prints_one_line_per_video(clips, tmp_path):
    copy_sample("dashcam-02.png", tmp_path, "photo.png")
    result = run_cli("--json", "--summary", clips / "pan.mkv", "photo.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    video, photo = json_lines(result.stdout)
    assert video == {"path": str(clips / "pan.mkv"), "width": 640, "height": 360, "frames": 60,
                     "duration": video["duration"], "plates": video["plates"], "faces": video["faces"], "black_frames": 0}
    assert isinstance(video["faces"], int)
    assert abs(video["duration"] * 1e6 - frames_of(clips / "pan.mkv")[1][-1]) <= 1000
    assert video["plates"] >= 3
    assert photo["path"] == "photo.png" and len(photo["boxes"]) >= 3


def test_a_failing_model_gives_black_frames_never_raw_ones(clips, tmp_path, monkeypatch, capsys):
    from plateblur.cpython.onnx_model import OnnxModel

    def broken(self, tensor):
        raise RuntimeError("simulated inference failure")

    monkeypatch.setattr(OnnxModel, "__call__", broken)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.mkv").write_bytes((clips / "pan.mkv").read_bytes())
    code, _, err = run_main("in.mkv", capsys=capsys)
    assert code == 0, err
    assert err.splitlines()[0] == ("[1/1] in.mkv -> in_anonymised.mkv: 60 frames, up to 0 plates, 0 faces in a frame; "
                                   "60 frames could not be processed and were written black")
    frames, stamps = frames_of(tmp_path / "in_anonymised.mkv")
    assert len(frames) == 60 and stamps == frames_of(clips / "pan.mkv")[1]
    assert max(int(f.max()) for f in frames) <= 16      # black, give or take the encoder


BAD = {
    "truncated.mp4": "the video is damaged or incomplete (its frames end at 1.3 s of 5.0 s, after 39 frames)",
    "empty.mp4": "not a video, or one this PyAV cannot read (Invalid data found when processing input)",
    "notavideo.mp4": "not a video, or one this PyAV cannot read (Invalid data found when processing input)",
    "zero-frames.mp4": "the video has no frames",
    "audio-only.mp4": "the file is audio only: it has no video track",
    "missing.mp4": "cannot read the file (No such file or directory)",
}


def test_bad_videos_get_one_line_each_and_the_batch_goes_on(tmp_path):
    for name in BAD:
        if name != "missing.mp4":
            (tmp_path / name).write_bytes(media.media_path(name).read_bytes())
    copy_sample("dashcam-03.png", tmp_path, "photo.png")
    result = run_cli(*BAD, "photo.png", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[:len(BAD)] == [f"plateblur: {name}: {message}" for name, message in BAD.items()]
    assert re.fullmatch(SUMMARY.format(done=1, failed=len(BAD), skipped=0), lines[-1])
    assert files_under(tmp_path) == set(BAD) - {"missing.mp4"} | {"photo.png", "photo_anonymised.png"}


def test_an_mp4_cut_before_its_index_is_called_damaged(tmp_path):
    """An MP4 written without faststart keeps its index (moov) at the end: cut short, it cannot be
    opened at all, and that is damage, not a file PyAV cannot read."""
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(media.media_path("pan.mp4")), "-c", "copy", "-t", "2",
                    str(tmp_path / "whole.mp4")], check=True)
    data = (tmp_path / "whole.mp4").read_bytes()
    assert data.find(b"moov") > len(data) // 2
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 3])
    result = run_cli("cut.mp4", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == \
        "plateblur: cut.mp4: the video is damaged or incomplete (the file may have been cut short)"


def test_an_mp3_is_told_to_be_audio_only(tmp_path):
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", str(tmp_path / "song.mp3")],
                   check=True)
    result = run_cli("song.mp3", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "plateblur: song.mp3: the file is audio only: it has no picture"


def test_without_pyav_videos_get_one_line_and_photos_are_done(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "av", None)         # import av raises ImportError
    monkeypatch.chdir(tmp_path)
    copy_sample("dashcam-03.png", tmp_path, "photo.png")
    (tmp_path / "clip.mp4").write_bytes(media.media_path("pan.mp4").read_bytes())
    code, out, err = run_main("clip.mp4", "photo.png", capsys=capsys)
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == "plateblur: clip.mp4: videos need PyAV, which is not installed (pip install 'plateblur[video]')"
    assert re.fullmatch(r"\[2/2\] photo.png -> photo_anonymised.png: \d+ plates?, \d+ faces?", lines[1])
    assert re.fullmatch(SUMMARY.format(done=1, failed=1, skipped=0), lines[2])
    assert files_under(tmp_path) == {"clip.mp4", "photo.png", "photo_anonymised.png"}


@pytest.mark.parametrize("value", ["52", "-1", "best"])
def test_video_quality_out_of_range_is_refused(tmp_path, value):
    result = run_cli("--video-quality", value, "a.mp4", cwd=tmp_path)
    assert result.returncode == 2
    assert f"argument --video-quality: expected a whole number from 0 to 51, not '{value}'" in result.stderr
