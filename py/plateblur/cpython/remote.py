"""Inputs and outputs named by URI (``s3://bucket/prefix``, ``gs://...``, ``file:///abs/path``): any
filesystem ``pyarrow.fs.FileSystem.from_uri`` understands. pyarrow comes with the ``plateblur[ray]``
extra; local paths never need it.

A ``Uri`` has the parts of ``pathlib.Path`` the batch uses (name, stem, suffix, parent, ``/``,
with_name), so that naming (cpython.outputs.result_bases) is one code for both. Reading, listing and
writing go through the functions here. A result is staged in a local temporary file (PyAV needs one for a video
anyway), uploaded to a temporary name beside its target and moved into place only when complete."""
from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Iterator
from urllib.parse import quote, unquote

from ..usererror import UserError

NO_PYARROW = "URIs ({uri}) need pyarrow, which is not installed (pip install 'plateblur[ray]')"
URI = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?")
CHUNK = 1 << 20
TEMPORARY = re.compile(r"\.(?P<base>.+)\.[^.]+\.[0-9a-f]{8}\.part")    # .<base><extension>.<8 hex>.part


class RemoteError(UserError):
    """A URI cannot be used at all (no pyarrow, an unknown scheme); one line for the user."""


@dataclass(frozen=True, order=True)
class Uri:
    root: str                                   # scheme://authority
    rel: str = ""                               # the path below it, '/'-separated, decoded
    query: str = field(default="", compare=False)   # options for the filesystem (?region=...)

    @classmethod
    def parse(cls, text: str) -> "Uri":
        m = URI.fullmatch(text)
        return cls(f"{m['scheme'].lower()}://{m['authority']}", _joined(unquote(m["path"])), m["query"] or "")

    def __str__(self) -> str:
        return f"{self.root}/{self.rel}"

    @property
    def uri(self) -> str:
        """The URI that ``location`` parses back into this one."""
        return f"{self.root}/{quote(self.rel)}" + (f"?{self.query}" if self.query else "")

    @property
    def name(self) -> str:
        return PurePosixPath(self.rel).name

    @property
    def stem(self) -> str:
        return PurePosixPath(self.rel).stem

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.rel).suffix

    @property
    def parent(self) -> "Uri":
        parent = str(PurePosixPath(self.rel).parent)
        return Uri(self.root, "" if parent == "." else parent, self.query)

    def __truediv__(self, other) -> "Uri":
        return Uri(self.root, _joined(f"{self.rel}/{other}"), self.query)

    def with_name(self, name: str) -> "Uri":
        return self.parent / name

    def resolve(self) -> "Uri":
        return self

    absolute = resolve

    def relative_to(self, top: "Uri") -> Path:
        return Path(self.rel[len(top.rel):].strip("/") or ".")

    def _type(self):
        return self.fs.get_file_info(self.path).type

    def exists(self) -> bool:
        return self._type() != pyarrow_fs(self.root).FileType.NotFound

    def is_dir(self) -> bool:
        return self._type() == pyarrow_fs(self.root).FileType.Directory

    def is_file(self) -> bool:
        return self._type() == pyarrow_fs(self.root).FileType.File

    def is_symlink(self) -> bool:
        return False

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        self.fs.create_dir(self.path, recursive=True)   # on an object store: an empty marker object at most

    def read_bytes(self) -> bytes:
        with self.fs.open_input_stream(self.path) as stream:
            return stream.read()

    @property
    def fs(self):
        return filesystem(self.root, self.query)[0]

    @property
    def path(self) -> str:
        """The path the filesystem takes."""
        base = filesystem(self.root, self.query)[1]
        if base.endswith("/"):          # file:///, hdfs://host/
            return base + self.rel
        return f"{base}/{self.rel}" if base and self.rel else base or self.rel


def _joined(path: str) -> str:
    return "/".join(part for part in path.split("/") if part not in ("", "."))


def is_uri(text: str) -> bool:
    return URI.fullmatch(text) is not None


def location(text: str) -> Path | Uri:
    """A command-line argument (or a path sent to a Ray worker): a URI, or else a local path."""
    return Uri.parse(text) if is_uri(text) else Path(text)


def identity(place: Path | Uri) -> Path | Uri:
    """What two names of one place share: a ``file://`` URI is the local path it names."""
    if isinstance(place, Uri):
        return Path("/" + place.rel).resolve() if place.root == "file://" else place
    return place.resolve()


def as_text(place: Path | Uri) -> str:
    """What ``location`` turns back into ``place``, wherever it runs (a local path made absolute)."""
    return place.uri if isinstance(place, Uri) else str(place.absolute())


def pyarrow_fs(root: str):
    """The module pyarrow.fs; RemoteError where it is missing (``root``: the URI that needs it)."""
    try:
        import pyarrow.fs
    except ImportError:
        raise RemoteError(NO_PYARROW.format(uri=root)) from None
    return pyarrow.fs


@lru_cache(maxsize=None)
def filesystem(root: str, query: str):
    """(filesystem, path of its root) for a URI's root, made once per process: S3 looks up the
    bucket's region on the network each time, and an in-memory filesystem is one per make."""
    FileSystem = pyarrow_fs(root).FileSystem
    try:
        return FileSystem.from_uri(f"{root}/" + (f"?{query}" if query else ""))
    except Exception as exc:     # an unknown scheme, a missing library (hdfs), bad options
        raise RemoteError(f"cannot use {root} ({first_line(exc)})") from None


def first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def listing(top: Uri, recursive: bool) -> dict[Uri, tuple[list[str], list[str]]]:
    """Each folder below ``top`` (``top`` alone without ``recursive``) -> (its subfolders, its files),
    from one listing: an object store answers for a whole prefix at once."""
    FileSelector, FileType = pyarrow_fs(top.root).FileSelector, pyarrow_fs(top.root).FileType
    found: dict[Uri, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    found[top]
    base = top.path.rstrip("/")
    for info in top.fs.get_file_info(FileSelector(top.path, recursive=recursive)):
        below = info.path[len(base):].strip("/")
        place = top / below
        if info.type == FileType.Directory:
            found[place.parent][0].append(place.name)
            found[place]
        elif info.type == FileType.File:
            found[place.parent][1].append(place.name)
    return found


def existing(places: list[Uri]) -> list[Uri]:
    """Those of ``places`` that are files: one listing per folder, not one request per name."""
    by_folder: dict[Uri, list[Uri]] = defaultdict(list)
    for place in places:
        by_folder[place.parent].append(place)
    there = set()
    for folder, wanted in by_folder.items():
        pa = pyarrow_fs(folder.root)
        infos = folder.fs.get_file_info(pa.FileSelector(folder.path, allow_not_found=True))
        names = {info.base_name for info in infos if info.type == pa.FileType.File}
        there.update(place for place in wanted if place.name in names)
    return [place for place in places if place in there]


def probe(folder: Uri) -> None:
    """Write and delete a small object in ``folder``; OSError if it cannot be written."""
    check = folder / f".plateblur-check-{secrets.token_hex(4)}"
    _upload_stream(check, b"")
    check.fs.delete_file(check.path)


def _upload_stream(place: Uri, data: bytes | None = None, local: str | None = None) -> None:
    try:
        stream = place.fs.open_output_stream(place.path)
    except FileNotFoundError:       # filesystems with real folders (file://) need the folder first
        place.parent.mkdir()
        stream = place.fs.open_output_stream(place.path)
    with stream:
        if local is None:
            stream.write(data)
        else:
            with open(local, "rb") as f:
                shutil.copyfileobj(f, stream, CHUNK)


def temporary_name(target: Uri) -> str:
    """The name a result has while it is uploaded (cpython.cluster removes those a killed worker left)."""
    return f".{target.name}.{secrets.token_hex(4)}.part"


@contextmanager
def atomic_target(target: Uri, overwrite: bool) -> Iterator[tuple[int, str]]:
    """As ``outputs.atomic_target`` for a result named by URI: a local temporary file (open
    descriptor, path) to fill; when the block ends without error it is uploaded under a temporary
    name beside ``target`` and moved to ``target``. On an object store a move is a copy and a
    delete: the copy makes ``target`` appear whole, never in part. Object stores have no "create
    unless it exists", so without ``overwrite`` an existing ``target`` is refused just before the
    move; a result's name is this run's alone (outputs.result_bases), so only another program writing
    there at the same moment could slip in between."""
    fd, local = tempfile.mkstemp(prefix="plateblur-", suffix=target.suffix)
    try:
        yield fd, local
        os.fsync(fd)
        os.close(fd)
        fd = -1
        part = target.with_name(temporary_name(target))
        try:
            _upload_stream(part, local=local)
            if not overwrite and target.is_file():
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
            target.fs.move(part.path, target.path)
        except BaseException:
            _delete_quietly(part)
            raise
    finally:
        if fd >= 0:
            os.close(fd)
        os.unlink(local)


@contextmanager
def local_copy(source: Uri) -> Iterator[str]:
    """``source`` downloaded to a local temporary file (PyAV needs a file it can seek in)."""
    fd, local = tempfile.mkstemp(prefix="plateblur-", suffix=source.suffix)
    try:
        with os.fdopen(fd, "wb") as f, source.fs.open_input_stream(source.path) as stream:
            shutil.copyfileobj(stream, f, CHUNK)
        yield local
    finally:
        os.unlink(local)


def remove_leftovers(bases: list[Uri]) -> None:
    """Temporary results (``temporary_name``) of ``bases`` that killed workers left: one listing
    per folder."""
    names: dict[Uri, set[str]] = defaultdict(set)
    for base in bases:
        names[base.parent].add(base.name)
    for folder, wanted in names.items():
        selector = pyarrow_fs(folder.root).FileSelector(folder.path, allow_not_found=True)
        try:
            infos = folder.fs.get_file_info(selector)
        except OSError:
            continue                # tidying up only: the results themselves are complete
        for info in infos:
            temporary = TEMPORARY.fullmatch(info.base_name)
            if temporary and temporary["base"] in wanted:
                _delete_quietly(folder / info.base_name)


def _delete_quietly(place: Uri) -> None:
    try:
        place.fs.delete_file(place.path)
    except OSError:
        pass
