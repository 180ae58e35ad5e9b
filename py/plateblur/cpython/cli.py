"""Command line: anonymise photos and videos, or print what would be obscured (--json). This module
parses the arguments into a ``run.RunPlan``, has cpython.run carry it out and turns its errors into
one line each and an exit code.

Safety rules (see cpython.outputs): all result paths are decided before anything is written; a result
never replaces an input, another result of the run or (without --overwrite) an earlier result; each
file is written to a temporary file and renamed when complete. One photo's failure is its own error
line and the batch goes on (exit code 1); problems with the output location stop the run first."""
from __future__ import annotations

import argparse
import os
import sys
from importlib import metadata
from pathlib import Path

from ..settings import FACE_MODEL_FILE, HIDE, STREAM_FACE_MODEL_FILE, MODEL_FILE, MODES, RANGES, STREAM_MODEL_FILE, WITHOUT_STRENGTH, Settings
from . import batch, video
from .assets import model_path
from .progress import shown
from .remote import location
from .run import INTERRUPTED, RunPlan, execute

DEFAULTS = Settings()
DEFAULT_JOBS = min(4, os.cpu_count() or 1)


def package_version() -> str:
    """The installed package's version (its metadata); a source tree never installed has none."""
    try:
        return metadata.version("plateblur")
    except metadata.PackageNotFoundError:
        return "(version unknown: not installed as a package)"


def parse_args(argv: list[str] | None = None) -> RunPlan:
    p = argparse.ArgumentParser(
        prog="plateblur",      # the command's name, under `python -m plateblur` too
        description="Obscure vehicle licence plates and faces in photos and videos. Nothing leaves this machine.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("inputs", nargs="+", type=location,
                   help="photos (JPEG, PNG, WebP), videos (MP4, MOV, MKV, WebM, ...) or folders of them; "
                        "local paths or URIs of any filesystem pyarrow knows (s3://bucket/prefix, needs pyarrow)")
    p.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    p.add_argument("-o", "--output", type=location, default=None,
                   help="folder (or URI) for the results, mirroring the input folders with -r (default: next "
                        "to each input, as <name>_anonymised<ext>; so too in an -o folder that holds inputs)")
    p.add_argument("-r", "--recursive", action="store_true", help="include the subfolders of input folders")
    p.add_argument("--json", action="store_true",
                   help="write no files; print one JSON object per photo (per video frame) and line on stdout "
                        "(not with -o: redirect stdout to keep the lines, > found.jsonl)")
    p.add_argument("--summary", action="store_true", help="with --json: one line per video, not per frame")
    p.add_argument("--hide", type=_hide, default=DEFAULTS.hide, metavar="WHAT",
                   help=f"what to hide: {','.join(HIDE)} (both, the default), or one of them")
    p.add_argument("--mode", choices=MODES, default=DEFAULTS.mode, help="how plates and faces are hidden")
    p.add_argument("--strength", type=float, default=DEFAULTS.strength,
                   help=f"obscuring strength, {RANGES['strength']} ({', '.join(sorted(WITHOUT_STRENGTH))} ignores it)")
    p.add_argument("--pad", type=float, default=DEFAULTS.pad,
                   help=f"margin around each plate, as a share of its width/height, {RANGES['pad']} "
                        f"(faces get more: hair, ears, chin)")
    p.add_argument("--conf", type=float, default=DEFAULTS.conf,
                   help=f"plate detection threshold, {RANGES['conf']} (lower finds more, and obscures more by mistake)")
    p.add_argument("--thorough", action="store_true",
                   help="also search each picture turned a quarter each way: finds plates in sideways "
                        "pictures, takes 3 times as long")
    p.add_argument("--regions", type=Path, metavar="FILE",
                   help="obscure exactly the regions FILE gives for each photo (JSON lines as --json prints "
                        "them, matched by path), without the model; --pad and --conf do not apply")
    p.add_argument("--model", type=Path, default=None,
                   help=f"ONNX detector (default: {MODEL_FILE} for photos, {STREAM_MODEL_FILE} for videos, "
                        f"as in the page)")
    p.add_argument("--video-quality", dest="crf", type=_crf, default=None, metavar="CRF",
                   help=f"video quality, 0 (best, biggest) to {video.MAX_CRF}; default "
                        f"{video.DEFAULT_CRF['libx264']} for H.264, {video.DEFAULT_CRF['libvpx-vp9']} for VP9 (WebM)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--overwrite", action="store_true",
                   help="replace results of earlier runs (inputs are never replaced)")
    p.add_argument("--resume", action="store_true",
                   help="go on after an interrupted run: leave out inputs whose result is already there (a "
                        "result is there only when complete) and do the rest")
    p.add_argument("--ray", metavar="ADDRESS", default=None,
                   help="run on a Ray cluster: 'local' starts one on this machine, or what ray.init takes "
                        "('auto', 'ray://host:10001'); --jobs is then the number of photo actors")
    p.add_argument("-j", "--jobs", type=_positive_int, default=DEFAULT_JOBS,
                   help="photos worked on at once (decoding and encoding overlap the model)")
    a = p.parse_args(argv)
    try:
        settings = DEFAULTS.updated(mode=a.mode, strength=a.strength, pad=a.pad, conf=a.conf, thorough=a.thorough,
                                    hide=a.hide)
    except ValueError as exc:
        p.error(str(exc))
    if a.model is not None and not a.model.is_file():
        p.error(f"model not found: {a.model}")
    if a.json and a.output is not None:
        p.error("--json writes no files, so -o has nothing to do; redirect stdout to keep the lines (> found.jsonl)")
    if a.resume and (a.overwrite or a.json):
        other = "--overwrite" if a.overwrite else "--json"
        p.error(f"--resume leaves earlier results as they are; it cannot go with {other}")
    return RunPlan(tuple(a.inputs), a.output, a.json, a.model or model_path(MODEL_FILE), settings, a.quiet,
                   a.recursive, a.overwrite, a.jobs, a.model or model_path(STREAM_MODEL_FILE), a.crf, a.summary,
                   a.ray, a.regions, a.resume, model_given=a.model is not None,
                   face_model=_shipped_face_model(), video_face_model=_shipped_face_model(STREAM_FACE_MODEL_FILE))


def _shipped_face_model(name: str = FACE_MODEL_FILE) -> Path | None:
    try:
        return model_path(name)
    except FileNotFoundError:         # run() says so if faces are to be hidden
        return None


def _hide(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    wrong = [part for part in chosen if part not in HIDE]
    if wrong or not chosen:
        raise argparse.ArgumentTypeError(f"expected {','.join(HIDE)} or one of them, not {text!r}")
    return tuple(dict.fromkeys(chosen))


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return int(text)


def _crf(text: str) -> int:
    if not text.isdigit() or int(text) > video.MAX_CRF:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to {video.MAX_CRF}, not {text!r}")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    with batch.sigterm_as_interrupt():   # `timeout`, `kill` and job schedulers stop a run as Ctrl-C does
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    try:
        return execute(parse_args(argv))
    except KeyboardInterrupt:
        print("plateblur: interrupted; nothing was written", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:    # --json into a reader that stopped early (| head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:   # outside any one file: a UserError's line (batch.error_text), never a traceback
        print(shown(f"plateblur: {batch.error_text(exc)}"), file=sys.stderr)
        return 1
