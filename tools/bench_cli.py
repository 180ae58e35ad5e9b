"""Benchmark: photos per second of the CLI (a folder, written to -o) with --jobs 1, 2, ... against
the bare session.run rate of the same model on the same photos (every model input those photos need,
tiles included, run back to back; nothing else), with ONNX Runtime's threads spinning between calls
(its default) and sleeping (as the CLI sets them).

Prints medians of --repeat runs measured now, on this machine (noisy: compare numbers from one run).
    PYTHONPATH=py .venv/bin/python tools/bench_cli.py [--photos 48] [--jobs 1 2 4] [--repeat 3]"""
from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from plateblur import pipeline
from plateblur.cpython import cli, run
from plateblur.imageio import decode_photo
from plateblur.cpython.onnx_model import OnnxModel
from plateblur.preprocess import input_for
from plateblur.settings import MODEL_FILE, Settings

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO.parent / "shared" / "media"


def make_folder(folder: Path, count: int) -> list[Path]:
    """``count`` photos: the sample photos (JPEG and PNG, 416 px to 1280 px) over and over."""
    samples = sorted(p for p in MEDIA.iterdir() if p.suffix in (".jpg", ".png"))
    folder.mkdir(parents=True)
    paths = []
    for i, sample in zip(range(count), itertools.cycle(samples)):
        paths.append(folder / f"{i:04}-{sample.name}")
        shutil.copyfile(sample, paths[-1])
    return paths


def model_inputs(paths: list[Path], model: OnnxModel) -> list:
    settings = Settings()
    return [job.tensor for path in paths
            for rgb in [decode_photo(path.read_bytes()).rgb]
            for job in pipeline.prepare(rgb, input_for(rgb.shape[1::-1], model.input_wh, model.dynamic),
                                        settings.max_downscale)]


def bare_rate(count: int, tensors: list, model: OnnxModel) -> float:
    """Photos/s of session.run alone: every model input of ``count`` photos, back to back."""
    started = time.perf_counter()
    for tensor in tensors:
        model(tensor)
    return count / (time.perf_counter() - started)


def cli_rate(folder: Path, out: Path, jobs: int, model_path: Path) -> float:
    """Photos/s of a whole CLI run (model load included), as a user runs it."""
    run_plan = cli.parse_args(["-q", "--jobs", str(jobs), "--model", str(model_path), str(folder), "-o", str(out)])
    started = time.perf_counter()
    assert run.execute(run_plan) == 0
    return len(list(folder.iterdir())) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=48)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", type=Path, default=REPO / MODEL_FILE)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        paths = make_folder(folder, args.photos)
        models = {"spinning": OnnxModel(args.model), "sleeping": OnnxModel(args.model, spin=False)}
        tensors = model_inputs(paths, models["spinning"])
        for model in models.values():
            model(tensors[0])                               # warm-up
        rates: dict[str, list[float]] = {}
        for i in range(args.repeat):                       # interleaved, so a busy spell hits every case
            for name, model in models.items():
                rates.setdefault(name, []).append(bare_rate(len(paths), tensors, model))
            for jobs in args.jobs:
                rates.setdefault(f"jobs {jobs}", []).append(
                    cli_rate(folder, Path(tmp) / f"out-{jobs}-{i}", jobs, args.model))
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {len(paths)} photos needing "
              f"{len(tensors)} model inputs; model {args.model.name}; medians of {args.repeat} interleaved runs")
        bare = {name: statistics.median(rates.pop(name)) for name in models}
        for name, rate in bare.items():
            print(f"bare session.run, threads {name} between calls: {rate:6.2f} photos/s")
        bare = max(bare.values())
        for name, values in rates.items():
            rate = statistics.median(values)
            print(f"CLI --{name:<12} {rate:6.2f} photos/s  ({rate / bare:.0%} of the faster bare rate; runs: "
                  f"{', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
