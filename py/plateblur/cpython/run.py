"""One run of the command line, as cpython.cli parsed it: ``RunPlan`` says what to do, ``plan_tasks``
turns the inputs found into tasks with their result paths (all decided before anything is written;
cpython.outputs names them), and ``execute`` runs them (threads, or Ray) and gives the exit code.

With ``resume`` an input whose result is already there is left out and counted: results are renamed
into place when complete, so a result that is there is whole, and a temporary file an interrupted
run left (a hidden ``.<name>.<random>.part``) is never taken for one. Ctrl-C and SIGTERM end a run
with one summary line saying what was finished and whether partial files are left."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ..settings import Settings
from . import batch, cluster, inputs, outputs, regions, remote, video
from .onnx_model import ModelError, load_checked
from .progress import Progress, shown
from .remote import Uri
from .work import Work, WorkOptions

INTERRUPTED = 130   # the shell's code for a run stopped by Ctrl-C (128 + SIGINT)


@dataclass(frozen=True)
class RunPlan:
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
    resume: bool = False                # leave out inputs whose result is already there
    model_given: bool = False           # --model named ``model``: checked once before the run
    face_model: Path | None = None      # the face detector for photos (settings.hide has faces)
    video_face_model: Path | None = None   # ... for videos; None: ``face_model``

    def work_options(self) -> WorkOptions:
        return WorkOptions(self.model, self.video_model or self.model, self.settings, self.overwrite, self.crf,
                           self.face_model, self.video_face_model)


@dataclass
class Tasks:
    todo: list[batch.Task]
    resumed: int = 0     # inputs left out because their result is there (--resume)


def plan_tasks(run_plan: RunPlan, found: inputs.Inputs) -> Tasks:
    """The run's tasks with their result paths; OutputError before anything is written."""
    if run_plan.json:
        return Tasks([batch.Task(source.path) for source in found.sources])
    bases = outputs.result_bases(found.sources, run_plan.output_dir)
    shared = outputs.shared_bases(bases)
    tasks = [batch.Task(source.path, base, outputs.is_shared(base, shared))
             for source, base in zip(found.sources, bases)]
    outputs.check_writable(bases)
    names = [outputs.possible_names(task.source, task.base, task.strict_extension) for task in tasks]
    if run_plan.resume:
        there = outputs.existing_results(names)
        return Tasks([task for task, result in zip(tasks, there) if result is None],
                     sum(result is not None for result in there))
    if not run_plan.overwrite:
        outputs.refuse_earlier_results(names)
    return Tasks(tasks)


def execute(run_plan: RunPlan) -> int:
    """Returns the exit code: 0 when every file was anonymised, 1 when any failed (or none was
    found), INTERRUPTED after Ctrl-C or SIGTERM."""
    given = regions.load(run_plan.regions) if run_plan.regions is not None else None
    checked = load_checked(run_plan.model, spin=False) if run_plan.model_given and given is None else None
    loaded = {run_plan.model: checked} if checked else {}
    if given is None and "face" in run_plan.settings.kinds:      # never a silent half: faces or a clear error
        if run_plan.face_model is None:
            raise ModelError("faces are to be hidden, and this installation has no face model")
        loaded[run_plan.face_model] = load_checked(run_plan.face_model, spin=False)
        if run_plan.video_face_model is not None:
            loaded[run_plan.video_face_model] = load_checked(run_plan.video_face_model, spin=False)
    if run_plan.output_dir is not None and not run_plan.json:
        outputs.prepare_output_folder(run_plan.output_dir)
    found = inputs.collect(list(run_plan.inputs), run_plan.recursive, None if run_plan.json else run_plan.output_dir)
    planned = plan_tasks(run_plan, found) if found.sources else Tasks([])
    tasks = planned.todo
    videos = [task.source for task in tasks if inputs.is_video(task.source)]
    progress = Progress(len(tasks), run_plan.quiet, chatty=not run_plan.json,
                        video_frames=(lambda: sum(map(video.estimate_frames, videos))) if videos else None,
                        counted=("drawn",) if given is not None else run_plan.settings.kinds)
    for folder, message in found.unreadable:
        progress.fail(folder, message)
    if tasks:
        try:
            _run_tasks(run_plan, tasks, given, loaded, progress)
        except KeyboardInterrupt:
            with batch.signals_ignored():     # one true line: a second signal must not cut it short
                progress.interrupted(found.skipped, _partial_files_note([task.base for task in tasks]))
            return INTERRUPTED
    if not tasks and not planned.resumed and not progress.failed:
        progress.nothing_found(found.skipped)
        return 1
    progress.finish(found.skipped, planned.resumed)
    return 1 if progress.failed or not (tasks or planned.resumed) else 0


def _run_tasks(run_plan: RunPlan, tasks: list[batch.Task], given, loaded, progress: Progress) -> None:
    printer = batch.LinePrinter()

    def on_frame(record: dict) -> None:
        if run_plan.json and not run_plan.summary:
            printer(record)
        progress.frame()

    def on_record(record: dict) -> None:
        if run_plan.json and (run_plan.summary or "frames" not in record):
            printer(record)
        progress.record(record)

    if given is not None:
        work = partial(regions.anonymise, given=given, settings=run_plan.settings, overwrite=run_plan.overwrite)
        batch.run(tasks, work, run_plan.jobs, on_record)
    elif run_plan.ray:
        cluster.run(run_plan.ray, tasks, run_plan.work_options(), run_plan.jobs, on_record, on_frame)
    else:
        work = Work(run_plan.work_options(), on_frame, loaded)
        batch.run(tasks, work, run_plan.jobs, on_record, work.stop)


def _partial_files_note(bases: list) -> str:
    """What the interrupt summary says of partial files, as found: the result folders are looked in
    (a URI's temporary uploads of this run are removed, as cluster.run does)."""
    if all(base is None for base in bases):
        return "--json writes no files"
    remote.remove_leftovers([base for base in bases if isinstance(base, Uri)])
    left = outputs.partial_files([base for base in bases if isinstance(base, Path)])
    if left:
        return f"{len(left)} partial file{'s' if len(left) > 1 else ''} left, such as {shown(str(left[0]))}"
    return "no partial files left"
