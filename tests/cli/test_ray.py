"""--ray: the same batch on a Ray cluster gives the same JSON lines (in any order), the same files,
the same per-file lines and summary. The cluster is a Ray head with 2 CPUs started by the test in
its own temp dir (connected to by address, so each run skips Ray's start-up) and stopped after."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.cli_run import SUMMARY, cli_env, copy_sample, files_under, json_lines, run_cli
from tools.testkit import media

pytest.importorskip("ray")
# Ray's C++ core in the driver logs a few lines of its own on stderr (glog format); left to Ray
RAY_LOG = re.compile(r"\[\d{4}-\d\d-\d\d [\d:,]+ [IWEF] \d+ \d+\] \S+:\d+: .*")


def user_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if not RAY_LOG.fullmatch(line)]

pytest.importorskip("av")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory):
    """The address of a Ray head (2 CPUs) running in its own process group."""
    temp = tmp_path_factory.mktemp("ray")
    port = _free_port()
    ray_cli = Path(sys.executable).with_name("ray")
    head = subprocess.Popen([str(ray_cli), "start", "--head", "--block", f"--port={port}", "--num-cpus=2",
                             "--include-dashboard=false", f"--temp-dir={temp}", "--node-ip-address=127.0.0.1"],
                            env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        if head.poll() is not None:
            pytest.fail("the Ray head did not start")
        time.sleep(0.5)
    yield address
    os.killpg(head.pid, signal.SIGTERM)       # the head and the workers it started: this test's only
    try:
        head.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(head.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    from tests.cli.test_video import make_vfr_mkv

    work = tmp_path_factory.mktemp("batch")
    folder = work / "in"
    for name in ("openimages-08.jpg", "dashcam-03.png", "street-05.jpg"):
        copy_sample(name, folder)
    (folder / "broken.jpg").write_bytes((folder / "street-05.jpg").read_bytes()[:2000])
    make_vfr_mkv(folder / "clip.mkv")   # 60 frames
    return work


def test_ray_gives_the_local_runs_json_lines(inputs, ray_head):
    local = run_cli("--json", "--summary", "in", cwd=inputs)
    on_ray = run_cli("--json", "--summary", "--ray", ray_head, "--jobs", "2", "in", cwd=inputs)
    assert on_ray.returncode == local.returncode == 1, on_ray.stderr
    assert len(json_lines(local.stdout)) == 5
    assert sorted(on_ray.stdout.splitlines()) == sorted(local.stdout.splitlines())
    per_frame = run_cli("--json", "--ray", ray_head, "in/clip.mkv", cwd=inputs)
    assert per_frame.returncode == 0, per_frame.stderr
    assert [r["frame"] for r in json_lines(per_frame.stdout)] == list(range(len(json_lines(per_frame.stdout))))
    assert len(json_lines(per_frame.stdout)) >= 25


def test_ray_writes_the_local_runs_files_and_lines(inputs, ray_head):
    local = run_cli("in", "-o", "local", cwd=inputs)
    on_ray = run_cli("in", "-o", "ray", "--ray", ray_head, "--jobs", "2", cwd=inputs)
    assert on_ray.returncode == local.returncode == 1
    names = files_under(inputs / "local")
    assert names == {"openimages-08.jpg", "dashcam-03.png", "street-05.jpg", "clip.mkv"}
    assert files_under(inputs / "ray") == names                  # nothing half written, no temp file left
    for name in names - {"clip.mkv"}:
        assert (inputs / "ray" / name).read_bytes() == (inputs / "local" / name).read_bytes(), name
    (ray_frames, ray_stamps), (frames, stamps) = (media.read_video(inputs / out / "clip.mkv") for out in ("ray", "local"))
    assert ray_stamps == stamps and all((a == b).all() for a, b in zip(ray_frames, frames))   # Matroska's ids differ

    def lines(stderr: str, out: str) -> list[str]:
        *files, summary = user_lines(stderr)
        assert re.fullmatch(SUMMARY.format(done=4, failed=1, skipped=0), summary), stderr
        return sorted(re.sub(r"^\[\d+/5\] ", "", line).replace(f" -> {out}/", " -> ") for line in files)

    assert lines(on_ray.stderr, "ray") == lines(local.stderr, "local")
    assert "plateblur: in/broken.jpg: " in on_ray.stderr


def test_ray_local_prints_plateblurs_lines_only(tmp_path):
    """No line of Ray's own (its C++ core's glog lines, such as the note on actor restarts) reaches
    the user's terminal on a run that works; a file's error is still told."""
    copy_sample("openimages-08.jpg", tmp_path, "a.jpg")
    (tmp_path / "broken.jpg").write_bytes((tmp_path / "a.jpg").read_bytes()[:2000])
    result = run_cli("--ray", "local", "--jobs", "1", "a.jpg", "broken.jpg", cwd=tmp_path)
    assert result.returncode == 1
    *files, summary = result.stderr.splitlines()
    photo, broken = sorted(files)                     # in the order they finish
    assert re.fullmatch(r"\[\d/2\] a\.jpg -> a_anonymised\.jpg: \d+ plates?, \d+ faces?", photo), result.stderr
    assert broken.startswith("plateblur: broken.jpg: the image data is truncated or corrupt"), result.stderr
    assert re.fullmatch(SUMMARY.format(done=1, failed=1, skipped=0), summary), result.stderr


def test_an_unreachable_cluster_is_one_line(tmp_path):
    copy_sample("openimages-08.jpg", tmp_path, "a.jpg")
    result = run_cli("--ray", f"127.0.0.1:{_free_port()}", "a.jpg", cwd=tmp_path)
    assert result.returncode == 1
    assert len(user_lines(result.stderr)) == 1, result.stderr
    assert re.fullmatch(r"plateblur: cannot reach the Ray cluster at 127\.0\.0\.1:\d+ \(Connection refused\)",
                        user_lines(result.stderr)[0])
    assert files_under(tmp_path) == {"a.jpg"}



def test_ray_reads_and_writes_uris_as_the_local_run_does(inputs, ray_head):
    """Workers read the inputs and write the results through pyarrow themselves (file:// URIs)."""
    pytest.importorskip("pyarrow")
    source, out = f"file://{inputs / 'in'}", f"file://{inputs / 'ray-uri'}"
    local = run_cli("-q", "in", "-o", "local-q", cwd=inputs)
    on_ray = run_cli("-q", source, "-o", out, "--ray", ray_head, "--jobs", "2", cwd=inputs)
    assert on_ray.returncode == local.returncode == 1
    [broken] = local.stderr.splitlines()
    assert user_lines(on_ray.stderr) == [broken.replace(" in/", f" {source}/")]
    names = files_under(inputs / "local-q")
    assert names == {"openimages-08.jpg", "dashcam-03.png", "street-05.jpg", "clip.mkv"}
    assert files_under(inputs / "ray-uri") == names             # nothing half written, no temp file left
    for name in names - {"clip.mkv"}:
        assert (inputs / "ray-uri" / name).read_bytes() == (inputs / "local-q" / name).read_bytes(), name
    (frames, stamps), (local_frames, local_stamps) = (media.read_video(inputs / o / "clip.mkv") for o in ("ray-uri", "local-q"))
    assert stamps == local_stamps and all((a == b).all() for a, b in zip(frames, local_frames))
