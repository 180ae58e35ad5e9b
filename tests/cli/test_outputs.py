"""Result names and atomic writes, without running the model."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from plateblur.cpython.inputs import Source
from plateblur.cpython.outputs import result_bases, write_atomic


def test_names_are_unique_case_insensitively_and_never_an_inputs(tmp_path):
    sources = [Source(tmp_path / "in" / name) for name in ("A.jpg", "a.png", "b.jpg", "b_anonymised.jpg")]
    out = tmp_path / "out"
    assert result_bases(sources, out) == [out / "A", out / "a", out / "b", out / "b_anonymised"]   # A.jpg, a.png
    beside = tmp_path / "in"
    assert result_bases(sources, None) == [beside / "A_anonymised", beside / "a_anonymised",
                                           beside / "b_anonymised_2", beside / "b_anonymised_anonymised"]


def test_mirrored_subfolders_and_an_output_folder_that_holds_inputs(tmp_path):
    top = tmp_path / "in"
    sources = [Source(top / "a.jpg"), Source(top / "x" / "a.jpg", Path("x")), Source(top / "x" / "y" / "a.jpg",
                                                                                       Path("x/y"))]
    assert result_bases(sources, tmp_path / "out") == [tmp_path / "out" / "a", tmp_path / "out" / "x" / "a",
                                                       tmp_path / "out" / "x" / "y" / "a"]
    assert result_bases(sources, top) == [top / "a_anonymised", top / "x" / "a_anonymised", top / "x" / "y" / "a_anonymised"]


def test_write_atomic_never_replaces_without_overwrite(tmp_path):
    target = tmp_path / "a.jpg"
    target.write_bytes(b"earlier")
    with pytest.raises(FileExistsError):
        write_atomic(target, b"new", overwrite=False)
    assert target.read_bytes() == b"earlier"
    write_atomic(target, b"new", overwrite=True)
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["a.jpg"]                     # no temporary file left


def test_write_atomic_gives_the_usual_permissions(tmp_path):
    """As a plain open() would (mkstemp alone gives 0600)."""
    write_atomic(tmp_path / "sub" / "a.jpg", b"data", overwrite=False)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "sub" / "a.jpg").stat().st_mode) == 0o666 & ~mask
