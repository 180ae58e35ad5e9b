"""The command line never loses data: no input or result is written over, no partial file is left
under a final name (full disk, Ctrl-C), one photo's failure is only that photo's, and a bad output
location stops the run with one line before any work.

Tests run as root here, so "read-only" and "full" are either simulated by answering the write calls
with the error the kernel would give (in-process, monkeypatch), or real on a small tmpfs where the
test may mount one (skipped elsewhere)."""
from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.cli.cli_run import SUMMARY, cli_env, copy_sample, files_under, json_lines, run_cli, run_main
from tests.support.helpers import corrupt_gps_exif
from tools.testkit import MEDIA

# --- results never replace inputs or each other -------------------------------------------------


def test_output_folder_equal_to_the_input_folder_keeps_the_originals(tmp_path):
    photos = tmp_path / "photos"
    copy_sample("openimages-08.jpg", photos, "car.jpg")
    copy_sample("dashcam-01.png", photos, "road.png")
    before = {p.name: p.read_bytes() for p in photos.iterdir()}
    result = run_cli("-q", "photos", "-o", "photos", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert files_under(photos) == {"car.jpg", "road.png", "car_anonymised.jpg", "road_anonymised.png"}
    assert {name: (photos / name).read_bytes() for name in before} == before


def test_same_names_from_different_folders_get_their_own_results(tmp_path):
    copy_sample("openimages-08.jpg", tmp_path / "x", "photo.jpg")
    copy_sample("dashcam-01.png", tmp_path / "y", "photo.png")
    copy_sample("openimages-09.jpg", tmp_path, "a.jpg")
    copy_sample("street-05.jpg", tmp_path, "a.jpeg")
    result = run_cli("-q", "x/photo.jpg", "y/photo.png", "a.jpg", "a.jpeg", "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert files_under(out) == {"photo.jpg", "photo.png", "a.jpg", "a_2.jpg"}   # numbered in input order
    for name, source in {"photo.jpg": "x/photo.jpg", "photo.png": "y/photo.png", "a.jpg": "a.jpg",
                         "a_2.jpg": "a.jpeg"}.items():
        assert Image.open(out / name).size == Image.open(tmp_path / source).size


def test_jpg_and_jpeg_of_one_name_next_to_each_other(tmp_path):
    copy_sample("openimages-09.jpg", tmp_path, "a.jpg")
    copy_sample("street-05.jpg", tmp_path, "a.jpeg")
    result = run_cli("-q", "a.jpg", "a.jpeg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert files_under(tmp_path) == {"a.jpg", "a.jpeg", "a_anonymised.jpg", "a_anonymised_2.jpg"}
    assert Image.open(tmp_path / "a_anonymised_2.jpg").size == Image.open(tmp_path / "a.jpeg").size


def test_an_input_named_like_a_result_is_never_written_over(tmp_path):
    copy_sample("openimages-09.jpg", tmp_path, "a.jpg")
    copy_sample("street-05.jpg", tmp_path, "a_anonymised.jpg")      # an input that looks like a result
    original = (tmp_path / "a_anonymised.jpg").read_bytes()
    result = run_cli("-q", "a.jpg", "a_anonymised.jpg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "a_anonymised.jpg").read_bytes() == original
    assert files_under(tmp_path) == {"a.jpg", "a_anonymised.jpg", "a_anonymised_2.jpg",
                                     "a_anonymised_anonymised.jpg"}


def test_earlier_results_are_kept_unless_overwrite(tmp_path):
    copy_sample("openimages-09.jpg", tmp_path / "in", "a.jpg")
    copy_sample("openimages-08.jpg", tmp_path / "in", "b.jpg")
    assert run_cli("-q", "in", "-o", "out", cwd=tmp_path).returncode == 0
    (tmp_path / "out" / "b.jpg").write_bytes(b"an earlier result")
    again = run_cli("in", "-o", "out", "--mode", "fill", cwd=tmp_path)
    assert again.returncode == 1
    assert again.stderr == ("plateblur: out/a.jpg already exists (and 1 more); use --resume to do only what is "
                            "not there yet, --overwrite to replace earlier results, or another -o folder\n")
    assert (tmp_path / "out" / "b.jpg").read_bytes() == b"an earlier result"
    replaced = run_cli("-q", "in", "-o", "out", "--overwrite", cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert files_under(tmp_path / "out") == {"a.jpg", "b.jpg"}
    assert Image.open(tmp_path / "out" / "b.jpg").size == Image.open(tmp_path / "in" / "b.jpg").size


# --- no partial files ---------------------------------------------------------------------------

def test_a_full_disk_leaves_no_partial_file_and_the_batch_goes_on(tmp_path, monkeypatch, capsys):
    """The disk fills up half way through the first result: os.write writes part of it, then
    answers ENOSPC, as the kernel does."""
    monkeypatch.chdir(tmp_path)
    copy_sample("street-05.jpg", tmp_path, "a.jpg")
    copy_sample("openimages-08.jpg", tmp_path, "b.jpg")
    real_write = os.write
    calls = []

    def write(fd, data):
        if not Path(os.readlink(f"/proc/self/fd/{fd}")).name.startswith(".a_anonymised.jpg."):
            return real_write(fd, data)
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", write)
    code, out, err = run_main("-q", "a.jpg", "b.jpg", capsys=capsys)
    assert code == 1 and out == "" and len(calls) == 2
    assert err == "plateblur: a.jpg: cannot write a_anonymised.jpg (No space left on device)\n"
    assert files_under(tmp_path) == {"a.jpg", "b.jpg", "b_anonymised.jpg"}      # no temporary file left


@pytest.fixture
def mount_tmpfs(tmp_path):
    """mount_tmpfs(options) -> a fresh tmpfs folder; skips where mounting is not allowed."""
    mounted = []

    def mount(options: str) -> Path:
        folder = tmp_path / f"tmpfs{len(mounted)}"
        folder.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_real_full_disk_leaves_no_partial_file(tmp_path, mount_tmpfs):
    small = mount_tmpfs("size=128k")
    copy_sample("street-05.jpg", tmp_path, "big.jpg")            # its result is about 300 kB
    copy_sample("openimages-09.jpg", tmp_path, "small.jpg")      # about 70 kB
    result = run_cli("-q", "--jobs", "1", "big.jpg", "small.jpg", "-o", small, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == f"plateblur: big.jpg: cannot write {small}/big.jpg (No space left on device)\n"
    assert files_under(small) == {"small.jpg"}
    Image.open(small / "small.jpg").load()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_mid_batch_exits_130_with_one_true_summary_and_resume_does_the_rest(tmp_path, signum):
    for i in range(40):
        copy_sample("street-05.jpg", tmp_path / "in", f"p{i:02}.jpg")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "plateblur", "in", "-o", "out"],
                            cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out.is_dir() and any(p.suffix == ".jpg" for p in out.iterdir())):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert stdout == ""
    *done_lines, summary = stderr.splitlines()
    match = re.fullmatch(r"plateblur: interrupted; (\d+) done, 0 failed, (\d+) not done; no partial files left; "
                         r"\d+\.\d s", summary)
    assert match, stderr
    line = r"\[\d+/40\] in/p\d\d\.jpg -> out/p\d\d\.jpg: \d+ plates?, \d+ faces?"
    assert all(re.fullmatch(line, done) for done in done_lines), stderr
    written = sorted(out.iterdir())
    assert 1 <= len(written) == int(match[1]) == len(done_lines) == 40 - int(match[2]) < 40
    for path in written:
        assert re.fullmatch(r"p\d\d\.jpg", path.name)            # no temporary file left
        Image.open(path).load()                                  # and each result is complete
    earlier = {path.name: path.stat().st_mtime_ns for path in written}

    resumed = run_cli("in", "-o", "out", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert re.fullmatch(rf"plateblur: {40 - len(written)} done, 0 failed, 0 skipped, {len(written)} already there "
                        r"\(--resume\); \d+ plates?, \d+ faces? found; \d+\.\d s", resumed.stderr.splitlines()[-1]), resumed.stderr
    assert files_under(out) == {f"p{i:02}.jpg" for i in range(40)}
    assert all((out / name).stat().st_mtime_ns == mtime for name, mtime in earlier.items())   # left as they were


# --- one photo's failure is that photo's ---------------------------------------------------------

def test_corrupt_gps_exif_with_orientation_6_is_anonymised(tmp_path):
    """Pillow reads this EXIF block but raises a TypeError writing it back (which exif_transpose
    does); the photo must still be turned upright and anonymised, its metadata dropped."""
    upright = Image.open(MEDIA / "street-07.jpg").convert("RGB")
    upright.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "gps.jpg", quality=95,
                                                       exif=corrupt_gps_exif(orientation=6))
    record = json_lines(run_cli("--json", "gps.jpg", cwd=tmp_path).stdout)[0]
    assert (record["width"], record["height"]) == (1024, 768)
    # the plate of street-07 is at [239, 455, 433, 538] once the photo is upright
    assert any(x1 <= 250 and y1 <= 465 and x2 >= 420 and y2 >= 530 for x1, y1, x2, y2, _ in record["boxes"])
    result = run_cli("gps.jpg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    with Image.open(tmp_path / "gps_anonymised.jpg") as img:
        assert img.size == (1024, 768)
        assert len(img.getexif()) == 0 and "exif" not in img.info


def test_any_exception_is_that_photos_error(tmp_path, monkeypatch, capsys):
    from plateblur import pipeline

    monkeypatch.chdir(tmp_path)
    copy_sample("openimages-08.jpg", tmp_path, "a.jpg")
    copy_sample("dashcam-01.png", tmp_path, "b.png")                 # 1280 x 720: this one fails
    copy_sample("openimages-09.jpg", tmp_path, "c.jpg")
    real_render = pipeline.render

    def render(frame, detections, settings):
        if frame.shape[1] == 1280:
            raise RuntimeError("simulated bug")
        return real_render(frame, detections, settings)

    monkeypatch.setattr(pipeline, "render", render)
    code, out, err = run_main("a.jpg", "b.png", "c.jpg", capsys=capsys)
    lines = err.splitlines()
    assert code == 1 and out == ""
    assert lines[:3] == ["[1/3] a.jpg -> a_anonymised.jpg: 2 plates, 0 faces",
                         "plateblur: b.png: internal error (RuntimeError: simulated bug)",
                         "[3/3] c.jpg -> c_anonymised.jpg: 4 plates, 4 faces"]
    assert re.fullmatch(SUMMARY.format(done=2, failed=1, skipped=0), lines[3]) and len(lines) == 4
    assert files_under(tmp_path) == {"a.jpg", "b.png", "c.jpg", "a_anonymised.jpg", "c_anonymised.jpg"}
    code, out, err = run_main("--json", "a.jpg", "b.png", capsys=capsys)
    assert code == 1
    assert json_lines(out)[1] == {"path": "b.png", "error": "internal error (RuntimeError: simulated bug)"}
    assert err == "plateblur: b.png: internal error (RuntimeError: simulated bug)\n"


# --- the output location ----------------------------------------------------------------------

def _refused(code: int, out: str, err: str, folder: Path, before: set[str], message: str) -> None:
    assert (code, out, err) == (1, "", message + "\n")
    assert files_under(folder) == before


def test_output_that_is_a_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy_sample("openimages-08.jpg", tmp_path, "a.jpg")
    (tmp_path / "notes.txt").write_text("x")
    before = files_under(tmp_path)
    _refused(*run_main("a.jpg", "-o", "notes.txt", capsys=capsys), tmp_path, before,
             "plateblur: cannot write results to notes.txt: it is a file, not a folder")
    _refused(*run_main("a.jpg", "-o", "notes.txt/new", capsys=capsys), tmp_path, before,
             "plateblur: cannot create the output folder notes.txt/new (Not a directory)")


def test_new_output_folder_under_a_read_only_parent(tmp_path, capsys, monkeypatch):
    """os.mkdir answers as the kernel does for a read-only parent (root would be let through)."""
    monkeypatch.chdir(tmp_path)
    copy_sample("openimages-08.jpg", tmp_path, "a.jpg")
    (tmp_path / "locked").mkdir()
    real_mkdir = os.mkdir

    def mkdir(path, *args, **kwargs):
        if Path(path).parent.resolve() == tmp_path / "locked":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    before = files_under(tmp_path)
    _refused(*run_main("a.jpg", "-o", "locked/new/deeper", capsys=capsys), tmp_path, before,
             "plateblur: cannot create the output folder locked/new/deeper (Permission denied)")


def test_output_folder_that_cannot_be_written(tmp_path, capsys, monkeypatch):
    """Creating a file in the folder is refused, as for a user without write permission."""
    monkeypatch.chdir(tmp_path)
    copy_sample("openimages-08.jpg", tmp_path, "a.jpg")
    (tmp_path / "locked").mkdir()
    real_open = os.open

    def open_(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and Path(path).parent.resolve() == tmp_path / "locked":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    before = files_under(tmp_path)
    _refused(*run_main("a.jpg", "-o", "locked", capsys=capsys), tmp_path, before,
             "plateblur: cannot write results to locked (Permission denied)")
    copy_sample("openimages-08.jpg", tmp_path / "locked", "b.jpg")
    before = files_under(tmp_path)
    _refused(*run_main("locked/b.jpg", capsys=capsys), tmp_path, before,        # results beside the inputs
             "plateblur: cannot write results to locked (Permission denied)")


def test_a_real_read_only_file_system(tmp_path, mount_tmpfs):
    read_only = mount_tmpfs("ro,size=64k")
    copy_sample("openimages-08.jpg", tmp_path, "a.jpg")
    for target, message in [(read_only, f"cannot write results to {read_only} (Read-only file system)"),
                            (read_only / "new", f"cannot create the output folder {read_only}/new "
                                                f"(Read-only file system)")]:
        result = run_cli("a.jpg", "-o", target, cwd=tmp_path)
        assert (result.returncode, result.stdout, result.stderr) == (1, "", f"plateblur: {message}\n")
    assert files_under(tmp_path) == {"a.jpg", read_only.name}


def test_temporary_files_are_made_beside_the_result(tmp_path, monkeypatch, capsys):
    """The final rename stays within one file system: the temporary file is in the target folder."""
    monkeypatch.chdir(tmp_path)
    copy_sample("openimages-08.jpg", tmp_path, "a.jpg")
    made = []
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        made.append(Path(name))
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    code, _, err = run_main("-q", "a.jpg", "-o", "out", capsys=capsys)
    assert code == 0, err
    assert [p.parent for p in made if p.name.endswith(".part")] == [tmp_path / "out"]
    assert files_under(tmp_path / "out") == {"a.jpg"}
