"""One error family: every exception of the package whose message reaches a user is a UserError
(usererror.py), told by the CLI as its text (cpython.batch.error_text) and by the page by its protocol
name and detail code (browser.errors.describe); and one name per idea: no two classes share a name."""
from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

from plateblur.browser.errors import describe
from plateblur.browser.protocol import ERRORS
from plateblur.cpython import batch
from plateblur.usererror import UserError
from tools.testkit import REPO_ROOT

PY = REPO_ROOT / "py"
PACKAGE = PY / "plateblur"
BROWSER_ONLY = {"js", "polyscript", "pyodide"}     # modules only the page's worker has

# Exceptions whose message never reaches a user as it is, each with the reason.
INTERNAL = {
    "EditError": "edits that the page's own controls built and that do not fit their photo or video: a page "
                 "bug, told as an internal error like any other",
    "FrameFailedBefore": "the reason a re-exported frame failed, kept in the frame's result for logs; the "
                         "frame itself is hidden whole",
}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(PY).with_suffix("").parts)


def classes() -> list[tuple[str, ast.ClassDef]]:
    """(module, class) of every class the package defines, nested ones included."""
    return [(module_name(path), node) for path in sorted(PACKAGE.rglob("*.py")) if path.name != "__main__.py"
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.ClassDef)]


def exception_classes() -> list[tuple[str, type]]:
    """(module, class) of every exception class the package defines at module level. A module only the
    page's worker can import may define none (checked by the names of its classes' bases)."""
    found = []
    for module, node in classes():
        try:
            loaded = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            assert exc.name.partition(".")[0] in BROWSER_ONLY, exc
            bases = {ast.unparse(base).rpartition(".")[2] for base in node.bases}
            assert not {b for b in bases if b.endswith(("Error", "Exception"))}, f"{module}.{node.name}"
            continue
        cls = getattr(loaded, node.name, None)
        if cls is None:                      # nested in a function
            bases = {ast.unparse(base).rpartition(".")[2] for base in node.bases}
            assert not {b for b in bases if b.endswith(("Error", "Exception"))}, f"{module}.{node.name}"
        elif isinstance(cls, type) and issubclass(cls, BaseException):
            found.append((module, cls))
    return found


EXCEPTIONS = exception_classes()


def test_the_scan_finds_the_packages_exceptions():
    names = {cls.__name__ for _, cls in EXCEPTIONS}
    assert {"UserError", "ImageError", "VideoError", "RemoteError", "OutputError", "RegionsError", "RayError",
            "LoadError", "NotReady", "ModelError", "Stopped", "EditError"} <= names


@pytest.mark.parametrize("module, cls", EXCEPTIONS, ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_every_exception_a_user_may_see_is_a_user_error(module, cls):
    assert issubclass(cls, UserError) or cls.__name__ in INTERNAL, \
        f"{module}.{cls.__name__}: derive it from UserError, or say in INTERNAL why no user sees its message"


def test_the_internal_list_names_only_internal_exceptions():
    by_name = {cls.__name__: cls for _, cls in EXCEPTIONS}
    for name in INTERNAL:
        assert name in by_name and not issubclass(by_name[name], UserError), name


def test_every_user_error_the_page_can_raise_is_a_protocol_error():
    """The page's worker imports no cpython module: its user errors must have a protocol name (with
    error.<name> in both languages: test_i18n_texts), else describe() tells them as internal errors."""
    page_side = [cls for module, cls in EXCEPTIONS if issubclass(cls, UserError) and ".cpython." not in module
                 and cls is not UserError]
    assert page_side
    for cls in page_side:
        assert cls.__name__ in ERRORS, cls.__name__


def test_no_two_classes_share_a_name():
    where = defaultdict(list)
    for module, node in classes():
        where[node.name].append(module)
    assert not {name: modules for name, modules in where.items() if len(modules) > 1}


def user_error_subclasses() -> list[type]:
    return [cls for _, cls in EXCEPTIONS if issubclass(cls, UserError)]


@pytest.mark.parametrize("cls", user_error_subclasses(), ids=lambda cls: cls.__name__)
def test_the_cli_tells_every_user_error_by_its_text(cls):
    exc = cls.__new__(cls)
    UserError.__init__(exc, "a reason {in braces}, said for the user")
    assert batch.error_text(exc) == "a reason {in braces}, said for the user"
    record = batch.error_record(Path("a.jpg"), exc)
    assert record == {"path": "a.jpg", "error": batch.error_text(exc), **({"interrupted": True} if cls is batch.Stopped else {})}


def test_the_cli_tells_anything_else_as_an_internal_error_in_one_line():
    assert batch.error_text(KeyError("p7")) == "internal error (KeyError: 'p7')"
    assert batch.error_text(MemoryError()) == "not enough memory"


@pytest.mark.parametrize("cls", [cls for cls in user_error_subclasses() if cls.__name__ in ERRORS],
                         ids=lambda cls: cls.__name__)
def test_the_page_tells_every_user_error_by_its_name_and_code(cls):
    exc = cls.__new__(cls)
    UserError.__init__(exc, "{n} frames", code="some.code", n=3)
    assert describe(exc) == {"error_name": cls.__name__, "error": "3 frames", "detail": "some.code",
                             "params": {"n": 3}}


def test_a_user_error_the_protocol_does_not_name_is_an_internal_error_on_the_page():
    told = describe(UserError("a CLI message"))
    assert told["error_name"] == "InternalError" and told["params"] == {"exception": "UserError: a CLI message"}
