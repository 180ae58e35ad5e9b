"""The files a run takes: files named on the command line as they are, and the photos (by file
name) in the folders named, with ``recursive`` in their subfolders too. Whatever else a folder holds
is skipped and listed; earlier results and the run's own output folder are left out silently."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})
# Videos: the containers results are written in (file extension -> FFmpeg muxer), and the others
# read (their results are Matroska files); whatever codec inside them the installed PyAV decodes.
VIDEO_CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}
VIDEO_SUFFIXES = frozenset({*VIDEO_CONTAINERS, ".avi", ".ts", ".mts", ".m2ts", ".3gp", ".mpg", ".mpeg",
                            ".wmv", ".flv", ".ogv"})
RESULT_MARK = "_anonymised"
EARLIER_RESULT = re.compile(rf"{RESULT_MARK}(_\d+)?$")   # a_anonymised.jpg, a_anonymised_2.jpg


@dataclass(frozen=True)
class Source:
    """One input file; ``subfolder`` is where it lies below the folder it was found in (mirrored
    under -o), ``.`` for a file named directly."""

    path: Path
    subfolder: Path = Path(".")


@dataclass
class Inputs:
    sources: list[Source] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)      # (path, why)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)   # folders: (path, why)


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def collect(args: list[Path], recursive: bool, output_dir: Path | None = None) -> Inputs:
    found = Inputs()
    leave_out = output_dir.resolve() if output_dir is not None else None
    for arg in args:
        if arg.is_dir():
            _walk(arg, recursive, leave_out, found)
        else:
            found.sources.append(Source(arg))   # a missing file fails as that file's error
    return found


def _walk(top: Path, recursive: bool, leave_out: Path | None, found: Inputs) -> None:
    def unreadable(exc: OSError) -> None:
        found.unreadable.append((Path(exc.filename), f"cannot read the folder ({exc.strerror or exc})"))

    for root, dirs, files in os.walk(top, onerror=unreadable):
        folder = Path(root)
        subdirs = [d for d in sorted(dirs) if (folder / d).resolve() != leave_out]
        dirs.clear()
        for name in subdirs:
            if not recursive:
                found.skipped.append((folder / name, "a folder; -r includes subfolders"))
            elif (folder / name).is_symlink():
                found.skipped.append((folder / name, "a link to a folder, not followed"))
            else:
                dirs.append(name)
        for name in sorted(files):
            path = folder / name
            if path.suffix.lower() not in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
                found.skipped.append((path, "unknown type"))
            elif not EARLIER_RESULT.search(path.stem):
                found.sources.append(Source(path, folder.relative_to(top)))
