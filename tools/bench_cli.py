"""Benchmark: photos per second of the CLI (a folder, written to -o) with --jobs 1, 2, ... against
the bare session.run rate of the same model on the same photos (every model input those photos need,
tiles included, run back to back; nothing else).

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

from plateblur import cli, pipeline
from plateblur.imageio import decode_photo
from plateblur.onnx_model import OnnxModel
from plateblur.settings import Settings

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


def bare_rate(paths: list[Path], model_path: Path, repeat: int) -> tuple[float, int]:
    """Photos/s of session.run alone, and the number of model inputs the photos need."""
    model, settings = OnnxModel(model_path), Settings()
    tensors = [job.tensor for path in paths
               for job in pipeline.prepare(decode_photo(path.read_bytes()).rgb, model.input_wh, settings.max_downscale)]
    model(tensors[0])                                   # warm-up
    rates = []
    for _ in range(repeat):
        started = time.perf_counter()
        for tensor in tensors:
            model(tensor)
        rates.append(len(paths) / (time.perf_counter() - started))
    return statistics.median(rates), len(tensors)


def cli_rate(folder: Path, out: Path, jobs: int, repeat: int, model_path: Path) -> float:
    """Photos/s of a whole CLI run (model load included), as a user runs it."""
    rates = []
    for i in range(repeat):
        job = cli.parse_args(["-q", "--jobs", str(jobs), "--model", str(model_path), str(folder),
                              "-o", str(out / f"jobs{jobs}-{i}")])
        started = time.perf_counter()
        assert cli.run(job) == 0
        rates.append(len(list(folder.iterdir())) / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=48)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", type=Path, default=REPO / "models" / "plates-ref-v2.onnx")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        paths = make_folder(folder, args.photos)
        bare, inputs = bare_rate(paths, args.model, args.repeat)
        print(f"{os.cpu_count()} CPUs; {len(paths)} photos needing {inputs} model inputs; "
              f"model {args.model.name}; medians of {args.repeat} runs")
        print(f"bare session.run       {bare:6.2f} photos/s")
        for jobs in args.jobs:
            rate = cli_rate(folder, Path(tmp) / "out", jobs, args.repeat, args.model)
            print(f"CLI --jobs {jobs:<2}          {rate:6.2f} photos/s  ({rate / bare:.0%} of bare)")


if __name__ == "__main__":
    main()
