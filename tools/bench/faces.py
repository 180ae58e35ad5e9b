"""Benchmark: what hiding faces costs in the CLI — photos per second and video frames per second with
--hide plates against --hide plates,faces, runs interleaved, in one run on this machine (noisy: compare
only numbers printed together). Videos at 640x360 (build/test-media/pan.mp4) and 1280x720 (the same clip
scaled up, made here with PyAV).

    PYTHONPATH=py .venv/bin/python -m tools.bench.faces [--repeat 3]"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.testkit import MEDIA, REPO_ROOT, media

CHOICES = ("plates", "plates,faces")


def scaled_copy(source: Path, target: Path, width: int, height: int) -> Path:
    import av

    with av.open(str(source)) as src, av.open(str(target), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for frame in src.decode(video=0):
            for packet in stream.encode(frame.reformat(width=width, height=height, format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return target


def timed_run(inputs: list[Path], hide: str, folder: Path) -> float:
    out = Path(tempfile.mkdtemp(dir=folder))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "plateblur", "-q", "--hide", hide, "-o", str(out), *map(str, inputs)],
                   check=True, cwd=REPO_ROOT)
    return time.perf_counter() - started


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args(argv)
    photos = sorted(MEDIA.glob("*.jpg")) + sorted(MEDIA.glob("*.png"))
    with tempfile.TemporaryDirectory(prefix="plateblur-bench-faces-") as tmp:
        folder = Path(tmp)
        clip = media.ensure_media() / "pan.mp4"
        big = scaled_copy(clip, folder / "pan-720p.mp4", 1280, 720)
        frames = 150
        cases = {"photos": (photos, len(photos), "photos/s"), "video 640x360": ([clip], frames, "fps"),
                 "video 1280x720": ([big], frames, "fps")}
        print(f"CLI, {len(photos)} photos of {MEDIA}, {frames}-frame clips; median of {a.repeat} interleaved runs "
              "(each run includes the command's start, about 1 s)")
        print("| case | --hide plates | --hide plates,faces | ratio (time) |\n|---|---:|---:|---:|")
        for name, (inputs, count, unit) in cases.items():
            times = {hide: [] for hide in CHOICES}
            for _ in range(a.repeat):
                for hide in CHOICES:
                    times[hide].append(timed_run(inputs, hide, folder))
            plates, both = (statistics.median(times[h]) for h in CHOICES)
            print(f"| {name} | {count / plates:.2f} {unit} | {count / both:.2f} {unit} | {both / plates:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
