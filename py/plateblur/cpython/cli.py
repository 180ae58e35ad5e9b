"""Command line: anonymise photos and videos, or print what would be obscured (--json).

Safety rules (see cpython.outputs): all result paths are decided before anything is written; a result
never replaces an input, another result of the run or (without --overwrite) an earlier result; each
file is written to a temporary file and renamed when complete. One photo's failure is its own error
line and the batch goes on (exit code 1); problems with the output location stop the run first."""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from pathlib import Path

from ..settings import MODEL_FILE, MODES, RANGES, STREAM_MODEL_FILE, WITHOUT_STRENGTH, Settings
from ..usererror import UserError
from . import batch, cluster, inputs, outputs, regions, video
from .assets import model_path
from .progress import Progress
from .remote import Uri, location
from .work import Work, WorkOptions

DEFAULTS = Settings()
DEFAULT_JOBS = min(4, os.cpu_count() or 1)
INTERRUPTED = 130   # the shell's code for a run stopped by Ctrl-C (128 + SIGINT)


@dataclass(frozen=True)
class RunOptions:
    """One run of the command line, as its arguments ask for it."""

    inputs: tuple[Path | Uri, ...]
    output_dir: Path | Uri | None
    json: bool
    model: Path
    settings: Settings
    quiet: bool
    recursive: bool = False
    overwrite: bool = False
    jobs: int = 1
    video_model: Path | None = None     # None: the same as ``model``
    crf: int | None = None              # video quality; None: the encoder's default
    summary: bool = False               # --json: one line per video instead of one per frame
    ray: str | None = None              # run on a Ray cluster at this address
    regions: Path | None = None         # obscure these regions (--json lines) without the model

    def work_options(self) -> WorkOptions:
        return WorkOptions(self.model, self.video_model or self.model, self.settings, self.overwrite, self.crf)


def package_version() -> str:
    """The installed package's version (its metadata); a source tree never installed has none."""
    try:
        return metadata.version("plateblur")
    except metadata.PackageNotFoundError:
        return "(version unknown: not installed as a package)"


def parse_args(argv: list[str] | None = None) -> RunOptions:
    p = argparse.ArgumentParser(
        prog="plateblur",      # the command's name, under `python -m plateblur` too
        description="Obscure vehicle licence plates in photos and videos. Nothing leaves this machine.",
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
                   help="write no files; print one JSON object per photo (per video frame) and line")
    p.add_argument("--summary", action="store_true", help="with --json: one line per video, not per frame")
    p.add_argument("--mode", choices=MODES, default=DEFAULTS.mode, help="how plates are hidden")
    p.add_argument("--strength", type=float, default=DEFAULTS.strength,
                   help=f"obscuring strength, {RANGES['strength']} ({', '.join(sorted(WITHOUT_STRENGTH))} ignores it)")
    p.add_argument("--pad", type=float, default=DEFAULTS.pad,
                   help=f"margin around each plate, as a share of its width/height, {RANGES['pad']}")
    p.add_argument("--conf", type=float, default=DEFAULTS.conf,
                   help=f"detection threshold, {RANGES['conf']} (lower finds more, and obscures more by mistake)")
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
    p.add_argument("--ray", metavar="ADDRESS", default=None,
                   help="run on a Ray cluster: 'local' starts one on this machine, or what ray.init takes "
                        "('auto', 'ray://host:10001'); --jobs is then the number of photo actors")
    p.add_argument("-j", "--jobs", type=_positive_int, default=DEFAULT_JOBS,
                   help="photos worked on at once (decoding and encoding overlap the model)")
    a = p.parse_args(argv)
    try:
        settings = DEFAULTS.updated(mode=a.mode, strength=a.strength, pad=a.pad, conf=a.conf, thorough=a.thorough)
    except ValueError as exc:
        p.error(str(exc))
    if a.model is not None and not a.model.is_file():
        p.error(f"model not found: {a.model}")
    return RunOptions(tuple(a.inputs), a.output, a.json, a.model or model_path(MODEL_FILE), settings, a.quiet,
                      a.recursive, a.overwrite, a.jobs, a.model or model_path(STREAM_MODEL_FILE), a.crf, a.summary,
                      a.ray, a.regions)


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return int(text)


def _crf(text: str) -> int:
    if not text.isdigit() or int(text) > video.MAX_CRF:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to {video.MAX_CRF}, not {text!r}")
    return int(text)


class Interrupted(UserError):
    """Ctrl-C during the batch: the one line to show."""


def plan_tasks(job: RunOptions, found: inputs.Inputs) -> list[batch.Task]:
    """The run's tasks with their result paths; OutputError before anything is written."""
    if job.json:
        return [batch.Task(source.path) for source in found.sources]
    bases = outputs.result_bases(found.sources, job.output_dir)
    outputs.check_writable(bases)
    if not job.overwrite:
        outputs.refuse_earlier_results(bases)
    return [batch.Task(source.path, base) for source, base in zip(found.sources, bases)]


def run(job: RunOptions) -> int:
    """Returns the exit code: 0 when every photo was anonymised, 1 when any failed (or none was found)."""
    given = regions.load(job.regions) if job.regions is not None else None
    if job.output_dir is not None and not job.json:
        outputs.prepare_output_folder(job.output_dir)
    found = inputs.collect(list(job.inputs), job.recursive, None if job.json else job.output_dir)
    tasks = plan_tasks(job, found) if found.sources else []
    videos = [task.source for task in tasks if inputs.is_video(task.source)]
    progress = Progress(len(tasks), job.quiet, chatty=not job.json,
                        video_frames=(lambda: sum(map(video.estimate_frames, videos))) if videos else None)
    for folder, message in found.unreadable:
        progress.fail(folder, message)
    if tasks:
        printer = batch.LinePrinter()

        def on_frame(record: dict) -> None:
            if job.json and not job.summary:
                printer(record)
            progress.frame()

        def on_record(record: dict) -> None:
            if job.json and (job.summary or "frames" not in record):
                printer(record)
            progress.record(record)

        try:
            if given is not None:
                work = partial(regions.anonymise, given=given, settings=job.settings, overwrite=job.overwrite)
                batch.run(tasks, work, job.jobs, on_record)
            elif job.ray:
                cluster.run(job.ray, tasks, job.work_options(), job.jobs, on_record, on_frame)
            else:
                work = Work(job.work_options(), on_frame)
                batch.run(tasks, work, job.jobs, on_record, work.stop)
        except KeyboardInterrupt:
            progress.finish([])
            raise Interrupted(f"interrupted; {progress.done + progress.failed} of {len(tasks)} "
                              f"{'files' if videos else 'photos'} finished, no partial files left") from None
    progress.finish(found.skipped)
    if not tasks:
        print("plateblur: no photos or videos found in the given folders", file=sys.stderr)
        return 1
    return 1 if progress.failed else 0


def main(argv: list[str] | None = None) -> int:
    with batch.sigterm_as_interrupt():   # `timeout`, `kill` and job schedulers stop a run as Ctrl-C does
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    try:
        return run(parse_args(argv))
    except KeyboardInterrupt:
        print("plateblur: interrupted; nothing was written", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:    # --json into a reader that stopped early (| head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:   # outside any one file: a UserError's line (batch.error_text), never a traceback
        print(f"plateblur: {batch.error_text(exc)}", file=sys.stderr)
        return INTERRUPTED if isinstance(exc, Interrupted) else 1
