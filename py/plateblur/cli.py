"""Command line: anonymise photos, or print what would be obscured (--json)."""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import pipeline
from .assets import model_path
from .imageio import ImageError, decode_photo, encode_photo
from .obscure import OBSCURERS
from .onnx_model import OnnxModel
from .settings import MODEL_FILE, Settings

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
DEFAULTS = Settings()


@dataclass(frozen=True)
class Job:
    inputs: tuple[Path, ...]
    output_dir: Path | None
    json: bool
    model: Path
    settings: Settings
    quiet: bool


def parse_args(argv: list[str] | None = None) -> Job:
    p = argparse.ArgumentParser(
        prog="python -m plateblur",
        description="Obscure vehicle licence plates in photos. Nothing leaves this machine.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("inputs", nargs="+", type=Path, help="photos (JPEG, PNG, WebP) or folders of them")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="folder for the results (default: next to each input, as <name>_anonymised<ext>)")
    p.add_argument("--json", action="store_true",
                   help="write no files; print one JSON object per input and line")
    p.add_argument("--mode", choices=list(OBSCURERS), default=DEFAULTS.mode, help="how plates are hidden")
    p.add_argument("--strength", type=float, default=DEFAULTS.strength, help="obscuring strength, 0..1")
    p.add_argument("--pad", type=float, default=DEFAULTS.pad,
                   help="margin around each plate, as a share of its width/height")
    p.add_argument("--conf", type=float, default=DEFAULTS.conf,
                   help="detection threshold (lower finds more, and obscures more by mistake)")
    p.add_argument("--model", type=Path, default=model_path(MODEL_FILE), help="ONNX detector")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    a = p.parse_args(argv)
    try:
        settings = DEFAULTS.updated(mode=a.mode, strength=a.strength, pad=a.pad, conf=a.conf)
    except ValueError as exc:
        p.error(str(exc))
    if not a.model.is_file():
        p.error(f"model not found: {a.model}")
    return Job(tuple(a.inputs), a.output, a.json, a.model, settings, a.quiet)


def expand(inputs: tuple[Path, ...]) -> list[Path]:
    """Files as given; folders contribute their image files (by extension), sorted, except earlier
    results (``*_anonymised.*``)."""
    paths: list[Path] = []
    for path in inputs:
        if path.is_dir():
            paths.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                                and not p.stem.endswith("_anonymised")))
        else:
            paths.append(path)
    return paths


def output_path(path: Path, output_dir: Path | None, extension: str) -> Path:
    if output_dir is None:
        return path.with_name(f"{path.stem}_anonymised{extension}")
    return output_dir / f"{path.stem}{extension}"


def anonymise_file(path: Path, job: Job, model: OnnxModel) -> dict:
    """One photo: the JSON record of what was found; writes the result unless ``job.json``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError(f"cannot read the file ({exc.strerror or exc})") from exc
    photo = decode_photo(data)
    detections = pipeline.detect(photo.rgb, model, model.input_wh, job.settings)
    rendered = pipeline.render(photo.rgb, detections, job.settings)
    h, w = photo.rgb.shape[:2]
    record = {"path": str(path), "width": w, "height": h, "boxes": rendered.detections.to_rows(),
              "regions": rendered.regions.tolist()}
    if not job.json:
        target = output_path(path, job.output_dir, photo.extension)
        try:
            target.write_bytes(encode_photo(photo, rendered.image))
        except OSError as exc:
            raise ImageError(f"cannot write {target} ({exc.strerror or exc})") from exc
        record["output"] = str(target)
    return record


def run(job: Job) -> int:
    """Returns the exit code: 0 when every input was anonymised, 1 when any failed."""
    paths = expand(job.inputs)
    if not paths:
        print("plateblur: no photos found in the given folders", file=sys.stderr)
        return 1
    if job.output_dir is not None and not job.json:
        job.output_dir.mkdir(parents=True, exist_ok=True)
    model = OnnxModel(job.model)
    failed = 0
    for i, path in enumerate(paths, 1):
        started = time.perf_counter()
        try:
            record = anonymise_file(path, job, model)
        except ImageError as exc:
            failed += 1
            record = {"path": str(path), "error": str(exc)}
            print(f"plateblur: {path}: {exc}", file=sys.stderr)
        if job.json:
            print(json.dumps(record), flush=True)
        elif not job.quiet and "error" not in record:
            print(f"[{i}/{len(paths)}] {path} -> {record['output']}: {len(record['boxes'])} plate(s), "
                  f"{time.perf_counter() - started:.2f} s", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))
