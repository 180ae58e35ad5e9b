"""Inputs and outputs named by URI (cpython.remote), without a network: pyarrow's local filesystem as
``file:///abs/path`` and its in-memory filesystem as ``mock:///`` (an object store's path: listing
a prefix, uploading, moving). The same files and JSON lines as the run on local paths; an output
that cannot be written stops the run first; nothing is overwritten."""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path

import pytest

from tests.cli.cli_run import SUMMARY, copy_sample, files_under, json_lines, run_main
from tools.testkit import media

pytest.importorskip("pyarrow")
from pyarrow.fs import FileSelector, FileType  # noqa: E402

from plateblur.cpython import remote  # noqa: E402
from plateblur.cpython.remote import Uri  # noqa: E402


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """in/ with a photo, a subfolder with a photo and a video, a file of another type."""
    pytest.importorskip("av")
    from tests.cli.test_video import make_vfr_mkv

    folder = tmp_path_factory.mktemp("remote") / "in"
    copy_sample("openimages-08.jpg", folder, "a.jpg")
    copy_sample("dashcam-03.png", folder / "trip", "b.png")
    make_vfr_mkv(folder / "trip" / "clip.mkv")
    (folder / "notes.txt").write_text("not a photo")
    return folder


def file_uri(path: Path) -> str:
    return f"file://{path.resolve()}"


@pytest.fixture
def memory():
    """The in-memory filesystem behind mock:/// URIs (one per process while its cache holds), empty."""
    remote.filesystem.cache_clear()
    yield remote.filesystem("mock://", "")[0]
    remote.filesystem.cache_clear()


def memory_files(fs) -> dict[str, bytes]:
    infos = fs.get_file_info(FileSelector("", recursive=True))
    return {i.path: fs.open_input_stream(i.path).read() for i in infos if i.type == FileType.File}


def same_video(a: Path, b: Path) -> bool:
    (frames_a, stamps_a), (frames_b, stamps_b) = media.read_video(a), media.read_video(b)
    return stamps_a == stamps_b and len(frames_a) == len(frames_b) \
        and all((x == y).all() for x, y in zip(frames_a, frames_b))


def test_uri_tree_gives_the_local_runs_files_lines_and_json(tree, monkeypatch, capsys):
    monkeypatch.chdir(tree.parent)
    local = run_main("-r", "in", "-o", "local", capsys=capsys)
    by_uri = run_main("-r", file_uri(tree), "-o", file_uri(tree.parent / "uri"), capsys=capsys)
    assert by_uri[0] == local[0] == 0, by_uri[2]
    names = {"a.jpg", "trip", "trip/b.png", "trip/clip.mkv"}
    assert files_under(tree.parent / "local") == files_under(tree.parent / "uri") == names   # no temp file left
    for name in ("a.jpg", "trip/b.png"):
        assert (tree.parent / "uri" / name).read_bytes() == (tree.parent / "local" / name).read_bytes(), name
    assert same_video(tree.parent / "uri" / "trip/clip.mkv", tree.parent / "local" / "trip/clip.mkv")
    as_local = by_uri[2].replace(file_uri(tree) + "/", "in/").replace(file_uri(tree.parent / "uri") + "/", "local/")
    assert re.sub(r"\d+\.\d s$", "", as_local) == re.sub(r"\d+\.\d s$", "", local[2])
    assert re.fullmatch(SUMMARY.format(done=3, failed=0, skipped=1), by_uri[2].splitlines()[-1])

    local_json = run_main("--json", "-r", "in", capsys=capsys)
    uri_json = run_main("--json", "-r", file_uri(tree), capsys=capsys)
    assert uri_json[0] == local_json[0] == 0
    records = json_lines(uri_json[1])
    assert len(records) == 2 + 60                   # two photos, one line per frame of the clip
    for record in records:
        record["path"] = record["path"].replace(file_uri(tree) + "/", "in/")
    assert records == json_lines(local_json[1])


def test_an_object_store_gets_the_same_results_and_keeps_them(tree, memory, monkeypatch, capsys):
    """Inputs in an in-memory filesystem, results written there; a second run refuses to replace
    them, --overwrite replaces them, and no temporary or check object is left."""
    monkeypatch.chdir(tree.parent)
    for path in ("a.jpg", "trip/b.png", "trip/clip.mkv"):
        memory.create_dir(str(Path("in", path).parent))
        with memory.open_output_stream(f"in/{path}") as stream:
            stream.write((tree / path).read_bytes())
    code, out, _ = run_main("--json", "mock:///in/nope.jpg", "mock:///in/a.jpg", capsys=capsys)
    assert code == 1 and json_lines(out)[0] == {"path": "mock:///in/nope.jpg",
                                               "error": "cannot read the file (No such file or directory)"}
    assert json_lines(out)[1]["path"] == "mock:///in/a.jpg" and len(json_lines(out)[1]["regions"]) == 2
    code, _, err = run_main("-q", "-r", "mock:///in", "-o", "mock:///out", capsys=capsys)
    assert (code, err) == (0, "")
    stored = memory_files(memory)
    assert set(stored) == {"in/a.jpg", "in/trip/b.png", "in/trip/clip.mkv", "out/a.jpg", "out/trip/b.png",
                           "out/trip/clip.mkv"}
    local = tree.parent / "local"
    if not local.exists():
        assert run_main("-q", "-r", "in", "-o", "local", capsys=capsys)[0] == 0
    assert stored["out/a.jpg"] == (local / "a.jpg").read_bytes()
    assert stored["out/trip/b.png"] == (local / "trip/b.png").read_bytes()

    code, out, err = run_main("-r", "mock:///in", "-o", "mock:///out", capsys=capsys)
    assert (code, out) == (1, "")
    assert err == ("plateblur: mock:///out/a.jpg already exists (and 2 more); use --resume to do only what is "
                   "not there yet, --overwrite to replace earlier results, or another -o folder\n")
    assert memory_files(memory) == stored

    with memory.open_output_stream("out/a.jpg") as stream:
        stream.write(b"an earlier result")
    code, _, err = run_main("-q", "--overwrite", "-r", "mock:///in", "-o", "mock:///out", capsys=capsys)
    assert (code, err) == (0, "")
    assert memory_files(memory)["out/a.jpg"] == stored["out/a.jpg"]


def test_a_result_that_appears_meanwhile_is_not_replaced(tmp_path, memory, monkeypatch):
    """Object stores cannot create a name only if it is free: the target is checked again just
    before the move. The temporary object and the local staging file are removed either way."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    memory.create_dir("out")
    with pytest.raises(FileExistsError):
        with remote.atomic_target(Uri.parse("mock:///out/a.jpg"), overwrite=False) as (fd, _):
            os.write(fd, b"ours")
            with memory.open_output_stream("out/a.jpg") as stream:      # another program, meanwhile
                stream.write(b"theirs")
    assert memory_files(memory) == {"out/a.jpg": b"theirs"}
    assert files_under(tmp_path) == set()


def test_an_output_uri_that_cannot_be_used_stops_the_run_first(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    copy_sample("openimages-08.jpg", tmp_path, "a.jpg")
    (tmp_path / "notes.txt").write_text("a file")

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr("plateblur.cpython.work.OnnxModel", no_model)
    for target, message in [
        ("file:///proc/plateblur-results", "cannot create the output folder file:///proc/plateblur-results "
                                           "(No such file or directory)"),
        (file_uri(tmp_path / "notes.txt"), f"cannot write results to {file_uri(tmp_path / 'notes.txt')}: "
                                           f"it is a file, not a folder"),
        ("nosuch://bucket/out", "cannot use nosuch://bucket (Unrecognized filesystem type in URI: nosuch://bucket/)"),
    ]:
        assert run_main("a.jpg", "-o", target, capsys=capsys) == (1, "", f"plateblur: {message}\n"), target
    assert files_under(tmp_path) == {"a.jpg", "notes.txt"}


def test_without_pyarrow_a_uri_gets_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    copy_sample("openimages-08.jpg", tmp_path, "a.jpg")
    remote.filesystem.cache_clear()
    monkeypatch.setitem(sys.modules, "pyarrow.fs", None)          # import pyarrow.fs raises ImportError
    try:
        for args in (["a.jpg", "-o", "s3://bucket/out"], ["--json", "s3://bucket/in"]):
            assert run_main(*args, capsys=capsys) == (
                1, "", "plateblur: URIs (s3://bucket) need pyarrow, which is not installed "
                       "(pip install 'plateblur[ray]')\n"), args
    finally:
        remote.filesystem.cache_clear()
    assert files_under(tmp_path) == {"a.jpg"}


def test_uris_name_like_paths():
    uri = Uri.parse("s3://bucket/in//trip/./a%20b.JPG?region=eu-west-1")
    assert (str(uri), uri.name, uri.stem, uri.suffix) == ("s3://bucket/in/trip/a b.JPG", "a b.JPG", "a b", ".JPG")
    assert uri.parent == Uri("s3://bucket", "in/trip") and uri.parent.query == "region=eu-west-1"
    assert uri.with_name("c.png") == Uri("s3://bucket", "in/trip/c.png")
    assert uri.parent / Path(".") / "x/y" == Uri("s3://bucket", "in/trip/x/y")
    assert remote.location(uri.uri) == uri and remote.location(uri.uri).query == uri.query
    assert Uri.parse("file:///tmp/a").path == "/tmp/a" and Uri.parse("mock:///in/a").path == "in/a"
    assert remote.location("in/a.jpg") == Path("in/a.jpg")
    assert json.dumps(str(Uri.parse("file:///tmp/x/"))) == '"file:///tmp/x"'


def test_a_file_uri_and_a_path_to_one_folder_are_one_folder(tmp_path, monkeypatch, capsys):
    """Inputs named by file:// URI, results to their folder named as a path (and the other way
    round): the results get their own names, the inputs are kept, even with --overwrite."""
    monkeypatch.chdir(tmp_path)
    photo = copy_sample("openimages-08.jpg", tmp_path, "a.jpg").read_bytes()
    assert run_main("-q", "--overwrite", file_uri(tmp_path / "a.jpg"), "-o", ".", capsys=capsys) == (0, "", "")
    assert run_main("-q", "--overwrite", "a.jpg", "-o", file_uri(tmp_path), capsys=capsys) == (0, "", "")
    assert files_under(tmp_path) == {"a.jpg", "a_anonymised.jpg"}
    assert (tmp_path / "a.jpg").read_bytes() == photo


def test_temporary_objects_a_killed_worker_left_are_removed(memory):
    memory.create_dir("out")
    for name in ("a.jpg", ".a.jpg.0123abcd.part", ".a.b.mkv.89abcdef.part", ".other.jpg.0123abcd.part"):
        with memory.open_output_stream(f"out/{name}") as stream:
            stream.write(b"x")
    remote.remove_leftovers([Uri.parse("mock:///out/a"), Uri.parse("mock:///out/a.b")])
    assert set(memory_files(memory)) == {"out/a.jpg", "out/.other.jpg.0123abcd.part"}
