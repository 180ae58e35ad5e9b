"""Folder trees on the command line: -r mirrors the tree under -o, other files are skipped and
listed, a summary ends the run, -q silences all but failures, the bar shows only on a terminal, and
--jobs changes the speed, never the result."""
from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from tests.cli.cli_run import SUMMARY, cli_env, copy_sample, files_under, json_lines, run_cli


@pytest.fixture
def tree(tmp_path) -> Path:
    """in/ with photos at three depths, other files, an earlier result and an empty subfolder."""
    folder = tmp_path / "in"
    copy_sample("openimages-08.jpg", folder, "a.jpg")
    copy_sample("openimages-09.jpg", folder, "a_anonymised.jpg")       # an earlier result: left out
    (folder / "notes.txt").write_text("not a photo")
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    copy_sample("dashcam-03.png", folder / "trip", "b.png")
    (folder / "trip" / "raw.cr2").write_bytes(b"II*\0 raw")
    copy_sample("openimages-09.jpg", folder / "trip" / "deeper", "c.jpg")
    (folder / "empty").mkdir()
    return folder


def progress_line(i: int, source: str, target: str) -> str:
    return rf"\[{i}/3\] {re.escape(source)} -> {re.escape(target)}: \d+ plates?, \d+ faces?"


def assert_lines(stderr: str, patterns: list[str]) -> None:
    lines = stderr.splitlines()
    assert len(lines) == len(patterns), stderr
    for line, pattern in zip(lines, patterns):
        assert re.fullmatch(pattern, line), (line, pattern)


def test_recursive_mirrors_the_tree_and_lists_what_it_skipped(tree):
    result = run_cli("-r", "in", "-o", "out", cwd=tree.parent)
    assert result.returncode == 0, result.stderr
    assert files_under(tree.parent / "out") == {"a.jpg", "trip", "trip/b.png", "trip/deeper", "trip/deeper/c.jpg"}
    assert_lines(result.stderr, [
        progress_line(1, "in/a.jpg", "out/a.jpg"),
        progress_line(2, "in/trip/b.png", "out/trip/b.png"),
        progress_line(3, "in/trip/deeper/c.jpg", "out/trip/deeper/c.jpg"),
        re.escape("plateblur: skipped in/.DS_Store (unknown type)"),
        re.escape("plateblur: skipped in/notes.txt (unknown type)"),
        re.escape("plateblur: skipped in/trip/raw.cr2 (unknown type)"),
        SUMMARY.format(done=3, failed=0, skipped=3),
    ])


def test_without_recursive_subfolders_are_skipped_and_listed(tree):
    result = run_cli("in", "-o", "out", cwd=tree.parent)
    assert result.returncode == 0, result.stderr
    assert files_under(tree.parent / "out") == {"a.jpg"}
    assert result.stderr.splitlines()[1:] == [
        "plateblur: skipped in/empty (a folder; -r includes subfolders)",
        "plateblur: skipped in/trip (a folder; -r includes subfolders)",
        "plateblur: skipped in/.DS_Store (unknown type)",
        "plateblur: skipped in/notes.txt (unknown type)",
        result.stderr.splitlines()[-1],
    ]
    assert re.fullmatch(SUMMARY.format(done=1, failed=0, skipped=4), result.stderr.splitlines()[-1])


def test_recursive_into_the_input_folder_names_results_beside_their_inputs(tree):
    (tree / "a_anonymised.jpg").unlink()
    before = {path: (tree / path).read_bytes() for path in files_under(tree) if (tree / path).is_file()}
    result = run_cli("-q", "-r", "in", "-o", "in", cwd=tree.parent)
    assert result.returncode == 0, result.stderr
    assert files_under(tree) - set(before) == {"trip", "trip/deeper", "empty", "a_anonymised.jpg",
                                               "trip/b_anonymised.png", "trip/deeper/c_anonymised.jpg"}
    assert {path: (tree / path).read_bytes() for path in before} == before


def test_an_output_folder_inside_the_tree_is_not_taken_as_input(tree):
    first = run_cli("-q", "-r", "in", "-o", "in/anonymised", cwd=tree.parent)
    assert first.returncode == 0, first.stderr
    results = {"a.jpg", "trip", "trip/b.png", "trip/deeper", "trip/deeper/c.jpg"}
    assert files_under(tree / "anonymised") == results
    again = run_cli("-r", "--overwrite", "in", "-o", "in/anonymised", cwd=tree.parent)
    assert again.returncode == 0, again.stderr
    assert re.fullmatch(SUMMARY.format(done=3, failed=0, skipped=3), again.stderr.splitlines()[-1])
    assert "skipped in/anonymised" not in again.stderr
    assert files_under(tree / "anonymised") == results


def test_quiet_shows_failures_only(tree):
    quiet = run_cli("-q", "-r", "in", "-o", "out", cwd=tree.parent)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    (tree / "trip" / "broken.jpg").write_text("not a photo")
    failed = run_cli("-q", "-r", "in", "-o", "out2", cwd=tree.parent)
    assert failed.returncode == 1
    assert failed.stderr == "plateblur: in/trip/broken.jpg: not an image, or not a JPEG, PNG or WebP file\n"


def _run_on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal of 100 columns: (exit code, what it showed)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "plateblur", *args], cwd=cwd, env=cli_env(),
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:          # EIO: the process closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return proc.wait(timeout=60), shown.decode(errors="replace")


def test_a_progress_bar_on_a_terminal(tree):
    code, shown = _run_on_a_terminal(["-r", "in", "-o", "out"], tree.parent)
    assert code == 0, shown
    rate = r"\d+\.\d+(photo/s|s/photo)"                                          # tqdm flips it when slow
    assert re.search(rf"100%\|[^\r\n]*\| 3/3 \[\d\d:\d\d<\d\d:\d\d, +{rate}\]", shown), shown
    assert re.search(r"\| 1/3 \[\d\d:\d\d<\d\d:\d\d", shown), shown           # time left, while it runs
    assert "[1/3]" not in shown                                                 # no per-photo lines
    assert "plateblur: skipped in/notes.txt (unknown type)" in shown
    assert re.search(SUMMARY.format(done=3, failed=0, skipped=3), shown)
    code, shown = _run_on_a_terminal(["-q", "-r", "in", "-o", "out2"], tree.parent)
    assert (code, shown) == (0, "")


def test_no_bar_when_stderr_is_not_a_terminal(tree):
    result = run_cli("-r", "in", "-o", "out", cwd=tree.parent)
    assert result.returncode == 0, result.stderr
    assert not re.search(r"\r|%\||photo/s|s/photo", result.stderr), result.stderr


def test_jobs_change_nothing_but_the_speed(tree):
    runs = [run_cli("--json", "-r", "--jobs", jobs, "in", cwd=tree.parent) for jobs in ("1", "3")]
    assert runs[0].returncode == runs[1].returncode == 0
    assert runs[0].stdout == runs[1].stdout
    assert [r["path"] for r in json_lines(runs[0].stdout)] == ["in/a.jpg", "in/trip/b.png", "in/trip/deeper/c.jpg"]
