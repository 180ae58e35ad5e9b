"""The page's result names (web/names.js) follow the command line's clash-naming rule
(cpython.outputs): each result keeps its extension, a real clash gets _2, _3... after the mark."""
from __future__ import annotations

import pytest

from plateblur.cpython.inputs import Source
from plateblur.cpython.outputs import result_bases


@pytest.fixture(scope="module")
def names_module(browser, site_url):
    page = browser.new_page()
    page.goto(site_url + "web/names.js")
    yield page
    page.close()


def unique_names(page, entries: list[tuple[str, str]]) -> list[str]:
    return page.evaluate("""async (entries) => {
        const { uniqueNames } = await import("/web/names.js");
        return uniqueNames(entries.map(([name, extension]) => ({ name, extension })));
    }""", entries)


def test_a_real_clash_is_numbered_after_the_mark_case_insensitively(names_module):
    entries = [("a.jpg", ".jpg"), ("A.jpeg", ".jpg"), ("a.jpg", ".jpg"), ("a.png", ".png")]
    assert unique_names(names_module, entries) == ["a_anonymised.jpg", "A_anonymised_2.jpg", "a_anonymised_3.jpg",
                                                   "a_anonymised.png"]


def test_the_page_and_the_command_line_name_a_batch_alike(names_module, tmp_path):
    """Inputs in one folder, results beside them: the same names from both (extensions as each writes them)."""
    files = ["pan.webm", "pan.mkv", "pan.mov", "gray.png", "gray.jpg", "gray.jpeg", "Gray.JPG"]
    bases = result_bases([Source(tmp_path / name) for name in files], None)
    extensions = [".webm", ".mkv", ".mov", ".png", ".jpg", ".jpg", ".jpg"]
    cli = [base.name + ext for base, ext in zip(bases, extensions)]
    assert cli == ["pan_anonymised.webm", "pan_anonymised.mkv", "pan_anonymised.mov", "gray_anonymised.png",
                   "gray_anonymised.jpg", "gray_anonymised_2.jpg", "Gray_anonymised_3.jpg"]
    assert unique_names(names_module, list(zip(files, extensions))) == cli
