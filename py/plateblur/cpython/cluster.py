"""The batch on a Ray cluster (the optional extra ``plateblur[ray]``): ``--ray ADDRESS``.

Photos flow as Ray Data blocks through a pool of model actors (``map_batches``; one ONNX Runtime
session per actor), videos run as one Ray task each. The work per file is the local run's
(``work.Work``), so the JSON lines and files are the same; records come back to this process,
which prints them and keeps the progress and summary. Paths must mean the same on every node
(a shared file system), or be URIs (``s3://...``): each worker reads and writes through pyarrow
itself (cpython.remote).

Ray retries the work of a node that dies. A result is still written only whole (a temporary file
renamed), and a retry replaces a result its lost attempt may have renamed into place already with
the same bytes: earlier results were refused before the run (without --overwrite), so a result
already there can only be this run's. Temporary files a killed worker left are removed at the end."""
from __future__ import annotations

import glob
import json
import logging
import os
import socket
import sys
import warnings
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..usererror import UserError
from . import remote
from .batch import Task, error_record
from .inputs import is_video
from .outputs import with_extension
from .remote import Uri, as_text, location
from .work import Work, WorkOptions

PHOTOS_PER_BLOCK = 4
RETRIES = 3
CONNECT_TIMEOUT_S = 10
# Ray's C++ core in this process logs to stderr (a note on actor restarts at ERROR level on every run
# that succeeds); only its fatal lines are kept. A failure of the run comes back as an exception.
BACKEND_LOG_LEVEL = ("RAY_BACKEND_LOG_LEVEL", "fatal")
NO_RAY = "--ray needs Ray, which is not installed (pip install 'plateblur[ray]')"


class RayError(UserError):
    """Ray is missing or the cluster cannot be reached; one line for the user."""


def _records(work: Work, sources, bases, strict=None) -> list[str]:
    records = []
    for source, base, strict_extension in zip(sources, bases, strict if strict is not None else [False] * len(sources)):
        task = Task(location(source), location(base) if base else None, bool(strict_extension))
        try:
            records.append(json.dumps(work(task)))
        except Exception as exc:             # this file's error; the batch goes on
            records.append(json.dumps(error_record(task.source, exc)))
    return records


class PhotoActor:
    """One model session; anonymises the photos of each block it is given."""

    def __init__(self, options: WorkOptions):
        self.work = Work(options)

    def __call__(self, block: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"record": np.array(_records(self.work, block["source"], block["base"], block["strict"]), dtype=object),
                "index": block["index"]}


def _bound(options: WorkOptions) -> type:
    """PhotoActor with ``options`` in its class, not in constructor arguments: Ray keeps those in the
    object store, where a lost node can take them, and then cannot restart the actor."""
    class BoundPhotoActor(PhotoActor):
        def __init__(self):
            super().__init__(options)

    return BoundPhotoActor


def _video(options: WorkOptions, source: str, base: str) -> tuple[str, list[str]]:
    """One video: its record and, in order, its frames' records."""
    frames: list[str] = []
    work = Work(options, on_frame=lambda record: frames.append(json.dumps(record)))
    [record] = _records(work, [source], [base])
    return record, frames


def connect(address: str, cpus: int):
    try:
        import ray
    except ImportError:
        raise RayError(NO_RAY) from None
    _check_reachable(address)
    os.environ.setdefault(*BACKEND_LOG_LEVEL)    # read as the core starts (a user's own setting is kept)
    try:
        with _stderr_muted():
            if address == "local":
                ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                         _node_ip_address="127.0.0.1")        # a local instance stays on the loopback
            else:
                ray.init(address=address, log_to_driver=False, logging_level="ERROR")
    except Exception as exc:
        raise RayError(f"cannot reach the Ray cluster at {address} ({type(exc).__name__}: {exc})") from None
    return ray


@contextmanager
def _stderr_muted():
    """File descriptor 2 leads nowhere meanwhile: Ray's core, starting in this process, says there at
    which level it logs, whatever the level (why ray.init failed is its exception's message)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _check_reachable(address: str) -> None:
    """RayError at once where ``address`` is host:port and nothing answers there (ray.init would
    keep trying for minutes)."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise RayError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc})") from None


def run(address: str, tasks: list[Task], options: WorkOptions, actors: int,
        on_record: Callable[[dict], None], on_frame: Callable[[dict], None]) -> None:
    """Every task on the cluster at ``address`` (``local``: a Ray instance started here, with
    ``actors`` CPUs), ``actors`` photo actors; ``on_record`` and ``on_frame`` as in the local run
    (records in any order)."""
    with warnings.catch_warnings():         # Ray's deprecation notes and such are not the user's business
        warnings.simplefilter("ignore")
        _run(connect(address, actors), tasks, options, actors, on_record, on_frame)


def _run(ray, tasks, options, actors, on_record, on_frame) -> None:
    try:
        import ray.data

        for name in ("ray", "ray.data"):        # Ray's notes and warnings are not the user's business
            logging.getLogger(name).setLevel(logging.ERROR)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        remote_options = replace(options, overwrite=True)      # see the module's note on retries
        video_task = ray.remote(num_cpus=1, max_retries=RETRIES, retry_exceptions=False)(_video)
        pending = {video_task.remote(remote_options, *_absolute(t)): t for t in tasks if is_video(t.source)}
        photos = [dict(zip(("source", "base"), _absolute(t)), strict=t.strict_extension, index=i)
                  for i, t in enumerate(tasks) if not is_video(t.source)]
        if photos:
            blocks = ray.data.from_items(photos, override_num_blocks=max(1, -(-len(photos) // PHOTOS_PER_BLOCK)))
            results = blocks.map_batches(_bound(remote_options), batch_size=PHOTOS_PER_BLOCK, num_cpus=1,
                                         compute=ray.data.ActorPoolStrategy(min_size=1, max_size=actors))
            for row in results.iter_rows():
                on_record(_as_given(row["record"], tasks[row["index"]]))
        while pending:
            [done], _ = ray.wait(list(pending), num_returns=1)
            task = pending.pop(done)
            record, frames = ray.get(done)
            for frame in frames:
                on_frame(_as_given(frame, task))
            on_record(_as_given(record, task))
    finally:
        ray.shutdown()
        remove_leftovers(tasks)


def _absolute(task: Task) -> tuple[str, str]:
    """The task's paths as the workers get them: absolute (their working folder is another)."""
    return as_text(task.source), as_text(task.base) if task.base is not None else ""


def _as_given(line: str, task: Task) -> dict:
    """A worker's record with the paths as the user gave them, as in the local run."""
    record = json.loads(line)
    record["path"] = str(task.source)
    if "output" in record:
        record["output"] = str(with_extension(task.base, Path(record["output"]).suffix))
    return record


def remove_leftovers(tasks: list[Task]) -> None:
    """Temporary files (outputs.atomic_target) that workers killed mid-write left beside results."""
    remote.remove_leftovers([task.base for task in tasks if isinstance(task.base, Uri)])
    for task in tasks:
        if not isinstance(task.base, Path) or not task.base.parent.is_dir():
            continue
        for temp in task.base.parent.glob(f".{glob.escape(task.base.name)}.*.part"):
            try:
                os.unlink(temp)
            except OSError:
                pass
