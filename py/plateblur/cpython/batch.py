"""A run over many photos (and videos, cpython.video) on one machine: ``jobs`` threads each read,
decode, detect, obscure, encode and write one file. The model is called by one thread at a time (one session.run uses all
of ONNX Runtime's threads), so the other threads' decoding and encoding overlap it."""
from __future__ import annotations

import json
import os
import signal
import stat
import sys
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable

from .. import pipeline
from ..imageio import ImageError, Photo, decode_photo, encode_photo
from ..settings import Settings
from ..usererror import UserError
from .inputs import NOT_REGULAR, planned_extension
from .outputs import reason, with_extension, write_atomic
from .remote import Uri


@dataclass(frozen=True)
class Task:
    source: Path | Uri
    base: Path | Uri | None = None   # the result's path without extension; None: write nothing (--json)
    strict_extension: bool = False   # another result of the run shares ``base``: the planned extension only


class SerialModel:
    """A model callable by many threads, one call at a time."""

    def __init__(self, model, lock: threading.Lock | None = None):
        self.model = model
        self.input_wh, self.dynamic = model.input_wh, model.dynamic
        self.lock = lock or threading.Lock()

    def __call__(self, tensor):
        with self.lock:
            return self.model(tensor)


class LinePrinter:
    """JSON lines on stdout from any thread, each whole."""

    def __init__(self):
        self.lock = threading.Lock()

    def __call__(self, record: dict) -> None:
        line = json.dumps(record) + "\n"
        with self.lock:
            sys.stdout.write(line)
            sys.stdout.flush()


def anonymise(task: Task, models, settings: Settings, overwrite: bool) -> dict:
    """One photo: the JSON record of what was found (and where the result went); raises on failure.
    ``models``: the plate model, or kind -> model (``pipeline.Models``)."""
    photo = read_photo(task.source)
    lead = pipeline.lead_model(models)
    rendered = pipeline.render(photo.rgb, pipeline.detect(photo.rgb, models, lead.input_wh, settings, lead.dynamic),
                               settings)
    h, w = photo.rgb.shape[:2]
    record = {"path": str(task.source), "width": w, "height": h, "boxes": rendered.detections.to_rows(),
              "box_kinds": rendered.detections.kinds, "regions": rendered.regions.tolist(),
              "kinds": list(rendered.kinds)}
    return save(task, photo, rendered.image, rendered.regions, record, overwrite)


def read_photo(source: Path | Uri) -> Photo:
    try:
        data = source.read_bytes() if isinstance(source, Uri) else read_regular_file(source)
    except OSError as exc:
        raise ImageError(f"cannot read the file ({reason(exc)})") from None
    return decode_photo(data)


def read_regular_file(path: Path) -> bytes:
    """The bytes of ``path``; ImageError if it is no regular file (it became a FIFO since it was
    listed: opened without waiting for a writer, and never read)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ImageError(NOT_REGULAR)
        return f.read()


def save(task: Task, photo: Photo, image, regions, record: dict, overwrite: bool) -> dict:
    """Write the anonymised ``image`` (``regions`` obscured) where the task says (nothing for --json);
    the record, with its output."""
    if task.base is not None:
        planned = planned_extension(task.source)
        if task.strict_extension and photo.extension != planned:
            raise ImageError(f"the file is a {photo.format} photo named {task.source.suffix}, and its result "
                             f"would take the name of another result of this run; rename it to {photo.extension}")
        encoded = encode_photo(photo, image, regions)
        target = with_extension(task.base, photo.extension)
        try:
            write_atomic(target, encoded, overwrite)
        except OSError as exc:
            raise ImageError(f"cannot write {target} ({reason(exc)})") from None
        record["output"] = str(target)
    return record


class Stopped(UserError):
    """The run was interrupted while this file was worked on; nothing of it was written."""


def error_text(exc: Exception) -> str:
    """The one line the user is told of a failure, a file's or the run's: a UserError's own text
    (usererror.py), else what went wrong inside (a bug), never a traceback."""
    if isinstance(exc, UserError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "not enough memory"
    return f"internal error ({type(exc).__name__}: {exc})"


def error_record(source: Path, exc: Exception) -> dict:
    record = {"path": str(source), "error": error_text(exc)}
    if isinstance(exc, Stopped):
        record["interrupted"] = True
    return record


def run(tasks: Iterable[Task], work: Callable[[Task], dict], jobs: int, on_record: Callable[[dict], None],
        stop: threading.Event | None = None) -> None:
    """``work`` on each task in ``jobs`` threads; ``on_record`` gets each record (or error record)
    in task order. At most 2 x ``jobs`` photos are in flight. On Ctrl-C or SIGTERM no task is started,
    those in flight are finished (so every file written is complete; ``stop`` is set, so that videos
    end early, writing nothing) and reported, and then KeyboardInterrupt goes on to the caller.

    While the threads exist, a signal only sets a flag that the loop reads (``_signals_noted``): an
    interrupt raised at an arbitrary line could leave a submitted task unreported, still writing its
    result after the summary said nothing was written."""
    def safely(task: Task) -> dict:
        try:
            return work(task)
        except Exception as exc:   # any failure is this photo's error; the batch goes on
            return error_record(task.source, exc)

    interrupted = threading.Event()
    todo = iter(tasks)
    in_flight: deque = deque()
    with _signals_noted(interrupted), ThreadPoolExecutor(jobs, thread_name_prefix="plateblur") as pool:
        in_flight.extend(pool.submit(safely, task) for task in islice(todo, 2 * jobs))
        while in_flight and not interrupted.is_set():
            try:
                record = in_flight[0].result(timeout=0.1)
            except TimeoutError:
                continue
            except KeyboardInterrupt:     # raised in the main thread by other means (a test, an embedder)
                interrupted.set()
                break
            in_flight.popleft()
            in_flight.extend(pool.submit(safely, task) for task in islice(todo, 1))
            try:
                on_record(record)
            except KeyboardInterrupt:
                interrupted.set()
        if interrupted.is_set():
            if stop is not None:
                stop.set()
            for future in in_flight:
                future.cancel()
            for future in in_flight:
                if not future.cancelled():
                    on_record(future.result())
    if interrupted.is_set():
        raise KeyboardInterrupt


@contextmanager
def _handling(signum: int, handler):
    if threading.current_thread() is not threading.main_thread():
        yield                     # only the main thread gets signals (and may set handlers)
        return
    previous = signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.signal(signum, previous)


@contextmanager
def _signals_noted(event: threading.Event):
    """Ctrl-C and SIGTERM set ``event`` instead of raising (a second one too: it cannot cut the
    finishing short)."""
    def note(signum, frame):
        event.set()
    with _handling(signal.SIGINT, note), _handling(signal.SIGTERM, note):
        yield


@contextmanager
def signals_ignored():
    """Ctrl-C and SIGTERM ignored, while the summary of an interrupted run is printed."""
    with _handling(signal.SIGINT, signal.SIG_IGN), _handling(signal.SIGTERM, signal.SIG_IGN):
        yield


def sigterm_as_interrupt():
    """SIGTERM raises KeyboardInterrupt, so it stops a run as cleanly as Ctrl-C."""
    return _handling(signal.SIGTERM, signal.default_int_handler)
