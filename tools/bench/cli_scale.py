"""Benchmark: the CLI's video rate on the test pan against the bare model rate, and photos/s in one
process against Ray (a local instance) with 1 and 2 photo actors.

    .venv/bin/python -m tools.bench.cli_scale [--photos 24]

One run, measured now on this machine (noisy: compare numbers from one run). Ray's rates include
its start-up (a local instance, its workers and actors): Ray Data hands results back in bursts, so
a rate between the first and the last result says nothing."""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from plateblur import pipeline
from plateblur.cpython import cli, cluster, inputs, run
from plateblur.cpython.assets import model_path
from plateblur.cpython.onnx_model import OnnxModel
from plateblur.imageio import decode_photo
from plateblur.settings import MODEL_FILE, STREAM_MODEL_FILE
from tools.testkit import MEDIA, media


def bare_fps(model_file: str, frames: list) -> float:
    """Frames (or photos) per second of session.run alone on every model input they need."""
    model = OnnxModel(model_path(model_file), spin=False)
    tensors = [job.tensor for frame in frames for job in pipeline.prepare(frame, model.input_wh, 2.0)]
    model(tensors[0])
    started = time.perf_counter()
    for tensor in tensors:
        model(tensor)
    return len(frames) / (time.perf_counter() - started)


def cli_seconds(args: list[str]) -> float:
    started = time.perf_counter()
    code = cli.main(args)
    if code != 0:
        raise SystemExit(f"plateblur {' '.join(args)} exited {code}")
    return time.perf_counter() - started


def ray_rate(folder: Path, out: Path, actors: int) -> float:
    run_plan = cli.parse_args([str(folder), "-o", str(out), "--overwrite", "-q"])
    tasks = run.plan_tasks(run_plan, inputs.collect([folder], False, out)).todo
    times: list[float] = []
    started = time.perf_counter()
    cluster.run("local", tasks, run_plan.work_options(), actors, lambda record: times.append(time.perf_counter()),
                lambda record: None)
    return len(tasks) / (times[-1] - started)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--photos", type=int, default=24)
    a = p.parse_args()
    pan = media.ensure_media() / "pan.mp4"
    frames, _ = media.read_video(pan)
    work = Path(tempfile.mkdtemp(prefix="plateblur-bench-"))
    try:
        rows = [("bare session.run, video model (int8), pan.mp4 frames", bare_fps(STREAM_MODEL_FILE, frames), "frames/s")]
        seconds = cli_seconds([str(pan), "-o", str(work / "video"), "-q"])
        rows.append(("CLI video, pan.mp4 -> H.264 (decode, detect, track, obscure, encode)", len(frames) / seconds, "frames/s"))
        samples = sorted(p for p in MEDIA.iterdir() if p.suffix in (".jpg", ".png"))
        photos = work / "photos"
        photos.mkdir()
        for i in range(a.photos):
            shutil.copyfile(samples[i % len(samples)], photos / f"{i:03}{samples[i % len(samples)].suffix}")
        decoded = [decode_photo(p.read_bytes()).rgb for p in sorted(photos.iterdir())]
        rows.append(("bare session.run, photo model, these photos (tiles included)", bare_fps(MODEL_FILE, decoded), "photos/s"))
        for jobs in (1, 2):
            rows.append((f"CLI one process, --jobs {jobs}",
                         a.photos / cli_seconds([str(photos), "-o", str(work / f"local{jobs}"), "-q", "--jobs", str(jobs)]),
                         "photos/s"))
        for actors in (1, 2):
            rows.append((f"CLI --ray local, {actors} actor(s), start-up included",
                         ray_rate(photos, work / f"ray{actors}", actors), "photos/s"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    width = max(len(name) for name, _, _ in rows)
    for name, value, unit in rows:
        print(f"{name:<{width}}  {value:7.2f} {unit}")


if __name__ == "__main__":
    main()
