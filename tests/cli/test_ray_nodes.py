"""--ray with two nodes as two process trees on this machine: a worker node killed mid-batch, the
batch still completes and nothing is written twice or half. A module of its own: Ray starts one
head per machine at a time, and test_ray's head lives as long as its module."""
from __future__ import annotations

import os
import shutil
import tempfile
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.cli_run import SUMMARY, cli_env, copy_sample, files_under
from tests.cli.test_ray import _free_port, user_lines

pytest.importorskip("ray")

def _start_node(args: list[str], temp: Path) -> subprocess.Popen:
    ray_cli = Path(sys.executable).with_name("ray")
    return subprocess.Popen([str(ray_cli), "start", "--block", f"--temp-dir={temp}", "--node-ip-address=127.0.0.1",
                             *args], env=cli_env(), stdout=subprocess.DEVNULL, stderr=(temp.parent / f"{temp.name}.log").open("w"),
                            start_new_session=True)


def _stop(node: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    try:
        os.killpg(node.pid, sig)
        node.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(node.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture
def short_dir():
    """Ray's temp dir: its socket paths must stay under 107 bytes, which pytest's tmp_path can exceed."""
    folder = Path(tempfile.mkdtemp(prefix="pb-ray-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_worker_node_killed_mid_batch_loses_nothing(tmp_path, short_dir):
    """Two nodes as two process trees: a head (1 CPU) and a worker node (2 CPUs); the worker node is
    killed (SIGKILL, its whole process group) once the first result is there."""
    port = _free_port()
    head = _start_node(["--head", f"--port={port}", "--num-cpus=1", "--include-dashboard=false"], short_dir / "h")
    worker = None
    try:
        while (probe := socket.socket()).connect_ex(("127.0.0.1", port)) != 0:
            probe.close()
            assert head.poll() is None, "the Ray head did not start"
            time.sleep(0.5)
        probe.close()
        worker = _start_node([f"--address=127.0.0.1:{port}", "--num-cpus=2"], short_dir / "w")
        for i in range(24):
            copy_sample("street-05.jpg", tmp_path / "in", f"p{i:02}.jpg")
        out = tmp_path / "out"
        proc = subprocess.Popen([sys.executable, "-m", "plateblur", "in", "-o", "out", "--ray", f"127.0.0.1:{port}",
                                 "--jobs", "3"], cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 240
        while not (out.is_dir() and any(p.suffix == ".jpg" for p in out.iterdir())):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        _stop(worker, signal.SIGKILL)
        _, stderr = proc.communicate(timeout=400)
        assert proc.returncode == 0, stderr
        *lines, summary = user_lines(stderr)
        assert re.fullmatch(SUMMARY.format(done=24, failed=0, skipped=0), summary), stderr
        assert sorted(re.sub(r"^\[\d+/24\] ", "", line).split(":")[0] for line in lines) == \
            [f"in/p{i:02}.jpg -> out/p{i:02}.jpg" for i in range(24)]      # each photo reported once
        assert files_under(out) == {f"p{i:02}.jpg" for i in range(24)}    # no temporary file left
        reference = (out / "p00.jpg").read_bytes()
        assert all((out / f"p{i:02}.jpg").read_bytes() == reference for i in range(24))   # each one whole
    finally:
        for node in (worker, head):
            if node is not None:
                _stop(node)
