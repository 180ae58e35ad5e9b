"""Where results go, decided for the whole run before anything is written, and how each is written.

A result never takes the name of an input or of another result of the run (names compare
case-insensitively, as some file systems do). Where a target folder holds inputs of the run (no -o,
or -o naming an input's folder), results are named ``<name>_anonymised<ext>``.
The clash-naming rule, shared with the page (web/names.js): a result keeps its own extension, so
results that differ only by it never clash (pan.webm, pan.mkv -> pan_anonymised.webm, pan_anonymised.mkv);
a real clash gets ``_2``, ``_3``... after the name, in input order (a.jpg, a.jpeg -> a_anonymised.jpg,
a_anonymised_2.jpg). A photo's extension is planned from its name; its content decides in the end,
so a result name never equals an input's name with any extension."""
from __future__ import annotations

import errno
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..imageio import FORMATS
from ..usererror import UserError
from . import remote
from .inputs import RESULT_MARK, Source, planned_extension
from .remote import Uri, identity

PHOTO_EXTENSIONS = frozenset(ext for _, ext in FORMATS.values())
LOCAL_TEMPORARY = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]{8}\.part")   # mkstemp's, in _atomic_local
PYARROW_DETAIL = re.compile(r"Detail: \[errno \d+\] (.*)$")
NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}


class OutputError(UserError):
    """The output location cannot be used; the message is one line for the user."""


def reason(exc: OSError) -> str:
    text = remote.first_line(exc) if exc.strerror is None else exc.strerror
    detail = PYARROW_DETAIL.search(text)      # pyarrow's messages end in the system's own words
    return detail[1] if detail else text


def result_bases(sources: list[Source], output_dir: Path | Uri | None) -> list[Path | Uri]:
    """Each source's result path, without its extension (that is ``inputs.planned_extension``)."""
    input_folders = {identity(s.path.parent) for s in sources}
    input_stems = {(identity(s.path.parent), s.path.stem.casefold()) for s in sources}
    taken: set = set()
    bases = []
    for source in sources:
        folder = source.path.parent if output_dir is None else output_dir / source.subfolder
        real = identity(folder)
        stem = source.path.stem + (RESULT_MARK if real in input_folders else "")
        extension = planned_extension(source.path).casefold()
        name, n = stem, 2
        while (real, name.casefold()) in input_stems or (real, name.casefold() + extension) in taken:
            name, n = f"{stem}_{n}", n + 1
        taken.add((real, name.casefold() + extension))
        bases.append(folder / name)
    return bases


def shared_bases(bases: list[Path | Uri]) -> set:
    """The identities of bases that more than one result of the run uses (with different extensions)."""
    seen, shared = set(), set()
    for base in bases:
        key = (identity(base.parent), base.name.casefold())
        (shared if key in seen else seen).add(key)
    return shared


def is_shared(base: Path | Uri, shared: set) -> bool:
    return (identity(base.parent), base.name.casefold()) in shared


def with_extension(base: Path | Uri, extension: str) -> Path | Uri:
    return base.with_name(base.name + extension)


def prepare_output_folder(folder: Path | Uri) -> None:
    """Create ``folder`` (the -o argument) if needed; OutputError if it cannot be used."""
    try:
        if folder.exists() and not folder.is_dir():
            raise OutputError(f"cannot write results to {folder}: it is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {folder} ({reason(exc)})") from None


def check_writable(bases: list[Path | Uri]) -> None:
    """Try a file in each existing target folder; OutputError for the first that refuses."""
    for folder in sorted({base.parent for base in bases}, key=str):
        try:
            if not folder.is_dir():
                continue      # a mirrored subfolder, created under a folder already checked
            if isinstance(folder, Uri):
                remote.probe(folder)
            else:
                fd, probe = tempfile.mkstemp(dir=folder, prefix=".plateblur-check-")
                os.close(fd)
                os.unlink(probe)
        except OSError as exc:
            raise OutputError(f"cannot write results to {folder} ({reason(exc)})") from None


def possible_names(source: Path | Uri, base: Path | Uri, strict: bool) -> list[Path | Uri]:
    """The names ``source``'s result may take: the planned one first; a photo's with any photo
    extension too, unless ``strict`` (its content must match its name, batch.save)."""
    planned = planned_extension(source)
    if strict or planned not in PHOTO_EXTENSIONS:
        return [with_extension(base, planned)]
    return [with_extension(base, ext) for ext in (planned, *sorted(PHOTO_EXTENSIONS - {planned}))]


def existing_results(names: list[list[Path | Uri]]) -> list[Path | Uri | None]:
    """For each list of a result's possible names, the first that is a file (None: none is)."""
    there = set(remote.existing([path for group in names for path in group if isinstance(path, Uri)]))
    return [next((path for path in group if path in there or isinstance(path, Path) and path.is_file()), None)
            for group in names]


def refuse_earlier_results(names: list[list[Path | Uri]]) -> None:
    """OutputError naming an earlier result that this run would replace (use --overwrite or --resume)."""
    existing = [path for path in existing_results(names) if path is not None]
    if existing:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise OutputError(f"{existing[0]} already exists{more}; use --resume to do only what is not there yet, "
                          f"--overwrite to replace earlier results, or another -o folder")


def partial_files(bases: list[Path | Uri]) -> list[Path]:
    """Temporary files (``atomic_target``) left beside local results, for the interrupt summary."""
    left = []
    for folder, names in _by_folder(bases).items():
        if isinstance(folder, Path) and folder.is_dir():
            left += [path for path in folder.iterdir() if _temporary_of(path.name, names)]
    return left


def _by_folder(bases) -> dict:
    names: dict = {}
    for base in bases:
        names.setdefault(base.parent, set()).add(base.name)
    return names


def _temporary_of(name: str, bases: set[str]) -> bool:
    found = LOCAL_TEMPORARY.fullmatch(name)
    return bool(found) and Path(found["target"]).stem in bases


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_current_umask()   # what a plain open() would give; mkstemp gives 0600


def atomic_target(target: Path | Uri, overwrite: bool):
    """A temporary file beside ``target`` as (open descriptor, path) to fill; when the block ends
    without error it is synced and given the final name, so a full disk, a crash or Ctrl-C never
    leaves a partial file under ``target``, and the temporary file is removed on any error.
    Without ``overwrite`` an existing ``target`` is never replaced. A URI: remote.atomic_target."""
    if isinstance(target, Uri):
        return remote.atomic_target(target, overwrite)
    return _atomic_local(target, overwrite)


@contextmanager
def _atomic_local(target: Path, overwrite: bool) -> Iterator[tuple[int, str]]:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        os.fchmod(fd, FILE_MODE)
        yield fd, temp
        os.fsync(fd)
        os.close(fd)
        fd = -1
        if overwrite:
            os.replace(temp, target)
        else:
            _link_without_replacing(temp, target)
    finally:
        if fd >= 0:
            os.close(fd)
        if os.path.lexists(temp):
            os.unlink(temp)


def write_atomic(target: Path | Uri, data: bytes, overwrite: bool) -> None:
    """``data`` under ``target``, written through ``atomic_target``."""
    with atomic_target(target, overwrite) as (fd, _):
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]


def _link_without_replacing(temp: str, target: Path) -> None:
    try:
        os.link(temp, target)            # fails with FileExistsError if target exists
    except OSError as exc:
        if exc.errno not in NO_HARD_LINKS:
            raise
        if os.path.lexists(target):      # a file system without hard links: check, then rename
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
        os.rename(temp, target)
