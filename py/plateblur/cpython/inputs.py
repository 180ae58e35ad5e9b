"""The files a run takes: files named on the command line as they are, and the photos (by file
name) in the folders named, with ``recursive`` in their subfolders too. Whatever else a folder holds
is skipped and listed; earlier results and the run's own output folder are left out silently.
Anything that is not a regular file (a FIFO, socket or device, given or found) is skipped and listed
without being opened (opening a FIFO waits for a writer), and a file met twice (given twice, by two
spellings, or given and found by -r) is taken once."""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from . import remote
from .remote import Uri

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})
# Videos: the containers results are written in (file extension -> FFmpeg muxer), and the others
# read (their results are Matroska files); whatever codec inside them the installed PyAV decodes.
VIDEO_CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}
VIDEO_SUFFIXES = frozenset({*VIDEO_CONTAINERS, ".avi", ".ts", ".mts", ".m2ts", ".3gp", ".mpg", ".mpeg",
                            ".wmv", ".flv", ".ogv"})
PHOTO_RESULT_EXTENSIONS = {".jpg": ".jpg", ".jpeg": ".jpg", ".png": ".png", ".webp": ".webp"}
FALLBACK_EXTENSION = ".mkv"      # Matroska holds whatever audio another container brought
RESULT_MARK = "_anonymised"
EARLIER_RESULT = re.compile(rf"{RESULT_MARK}(_\d+)?$")   # a_anonymised.jpg, a_anonymised_2.jpg


@dataclass(frozen=True)
class Source:
    """One input file; ``subfolder`` is where it lies below the folder it was found in (mirrored
    under -o), ``.`` for a file named directly."""

    path: Path | Uri
    subfolder: Path = Path(".")


NOT_REGULAR = "not a regular file (a FIFO, socket or device), not opened"


@dataclass
class Inputs:
    sources: list[Source] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)      # (path, why)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)   # folders: (path, why)


def is_video(path: Path | Uri) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def planned_extension(path: Path | Uri) -> str:
    """The extension of ``path``'s result as planned from its name: a video's by its container, a
    photo's by its name (a photo whose content is of another format gets that format's, see batch.save)."""
    suffix = path.suffix.lower()
    if suffix in VIDEO_CONTAINERS:
        return suffix
    return PHOTO_RESULT_EXTENSIONS.get(suffix, FALLBACK_EXTENSION)


def collect(args: list[Path | Uri], recursive: bool, output_dir: Path | Uri | None = None) -> Inputs:
    found = Inputs()
    leave_out = remote.identity(output_dir) if output_dir is not None else None
    for arg in args:
        if not arg.is_dir():
            _add(found, Source(arg))   # a missing file fails as that file's error
        elif isinstance(arg, Uri):
            _walk_remote(arg, recursive, leave_out, found)
        else:
            _walk(arg, recursive, leave_out, found)
    return _taken_once(found)


def _add(found: Inputs, source: Source) -> None:
    """``source`` into ``found``; a local name that is there but no regular file is skipped unopened."""
    if isinstance(source.path, Path):
        try:
            mode = source.path.stat().st_mode
        except OSError:
            mode = None          # missing or unreadable: that file's error when it is read
        if mode is not None and not stat.S_ISREG(mode):
            found.skipped.append((source.path, NOT_REGULAR))
            return
    found.sources.append(source)


def same_file_key(path: Path | Uri):
    """What two names of one file share: the device and inode of a local file (links and two
    spellings alike), else its resolved name."""
    if isinstance(path, Path):
        try:
            info = path.stat()
            return info.st_dev, info.st_ino
        except OSError:
            pass
    return remote.identity(path)


def _taken_once(found: Inputs) -> Inputs:
    first: dict = {}
    sources = []
    for source in found.sources:
        key = same_file_key(source.path)
        if key in first:
            found.skipped.append((source.path, f"the same file as {first[key]}, taken once"))
        else:
            first[key] = source.path
            sources.append(source)
    found.sources = sources
    return found


def _walk(top: Path, recursive: bool, leave_out: Path | None, found: Inputs) -> None:
    def unreadable(exc: OSError) -> None:
        found.unreadable.append((Path(exc.filename), f"cannot read the folder ({exc.strerror or exc})"))

    for root, dirs, files in os.walk(top, onerror=unreadable):
        dirs[:] = _take(top, Path(root), dirs, files, recursive, leave_out, found)


def _walk_remote(top: Uri, recursive: bool, leave_out: Uri | None, found: Inputs) -> None:
    """As ``_walk``, in the same order, from one listing of the whole tree."""
    try:
        tree = remote.listing(top, recursive)
    except OSError as exc:
        found.unreadable.append((top, f"cannot read the folder ({remote.first_line(exc)})"))
        return
    todo = [top]
    while todo:
        folder = todo.pop()
        dirs, files = tree[folder]
        todo.extend(reversed([folder / name for name in _take(top, folder, dirs, files, recursive, leave_out, found)]))


def _take(top, folder, dirs: list[str], files: list[str], recursive: bool, leave_out, found: Inputs) -> list[str]:
    """The photos and videos of one folder into ``found``, the rest listed as skipped; the names of
    its subfolders to walk into."""
    walk_into = []
    for name in sorted(d for d in dirs if remote.identity(folder / d) != leave_out):
        if not recursive:
            found.skipped.append((folder / name, "a folder; -r includes subfolders"))
        elif (folder / name).is_symlink():
            found.skipped.append((folder / name, "a link to a folder, not followed"))
        else:
            walk_into.append(name)
    for name in sorted(files):
        path = folder / name
        if path.suffix.lower() not in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
            found.skipped.append((path, "unknown type"))
        elif not EARLIER_RESULT.search(path.stem):
            _add(found, Source(path, folder.relative_to(top)))
    return walk_into
