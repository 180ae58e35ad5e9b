"""tools/ never imports tests/: what both need lives in tools/testkit, and the tests import it from there.

Every .py under tools/ is parsed (never imported) and each import resolved to an absolute module name:
``import tests...``, ``from tests... import``, a relative import, and ``importlib.import_module`` /
``__import__`` with a literal name. The scripts under tools/ may not run a tests module (``-m tests.``)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tools.testkit import REPO_ROOT

TOOLS = REPO_ROOT / "tools"
FORBIDDEN = "tests"
RUNS_TESTS_MODULE = re.compile(r"-m\s+tests(\.|\s|$)")


def module_parts(path: Path) -> list[str]:
    """tools/bench/photos.py -> [tools, bench, photos]; a package's __init__.py is the package."""
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_modules(source: str, parts: list[str], is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source``, the module ``parts`` (a package
    where ``is_package``); a relative import that climbs above the top-level package is named
    ``<beyond top level>``."""
    package = parts if is_package else parts[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            elif node.level > len(package):
                found.append((node.lineno, "<beyond top level>"))
                continue
            else:
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if not node.module]
        elif isinstance(node, ast.Call) and _names_import_function(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return found


def _names_import_function(func: ast.expr) -> bool:
    return ((isinstance(func, ast.Name) and func.id in ("__import__", "import_module"))
            or (isinstance(func, ast.Attribute) and func.attr == "import_module"))


def reaches_tests(name: str) -> bool:
    return name == FORBIDDEN or name.startswith(FORBIDDEN + ".") or name == "<beyond top level>"


def test_no_tools_module_imports_tests():
    sources = sorted(TOOLS.rglob("*.py"))
    assert len(sources) > 20 and TOOLS / "testkit" / "page_driver.py" in sources
    offenders = [f"{path.relative_to(REPO_ROOT)}:{line} imports {name}"
                 for path in sources
                 for line, name in imported_modules(path.read_text(), module_parts(path), path.name == "__init__.py")
                 if reaches_tests(name)]
    assert not offenders, "tools/ must not import tests/ (move what both need to tools/testkit):\n" + "\n".join(offenders)


def test_no_tools_script_runs_a_tests_module():
    scripts = [p for p in TOOLS.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc", ".json")]
    assert TOOLS / "setup" in scripts
    offenders = [f"{p.relative_to(REPO_ROOT)}: {line.strip()}" for p in scripts
                 for line in p.read_text(errors="replace").splitlines() if RUNS_TESTS_MODULE.search(line)]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("source, parts, is_package", [
    ("import tests", ["tools", "x"], False),
    ("import os, tests.support.helpers as h", ["tools", "x"], False),
    ("from tests import helpers", ["tools", "x"], False),
    ("from tests.support.helpers import make_frame", ["tools", "bench", "x"], False),
    ("def f():\n    from tests.support import MEDIA", ["tools", "x"], False),
    ("from ... import tests", ["tools", "bench", "x"], False),          # climbs above tools/
    ("from ... import x", ["tools", "bench"], True),                    # the same from a package
    ("import importlib\nimportlib.import_module('tests.support')", ["tools", "x"], False),
    ("__import__('tests')", ["tools", "x"], False),
])
def test_each_way_of_importing_tests_is_caught(source, parts, is_package):
    assert any(reaches_tests(name) for _, name in imported_modules(source, parts, is_package))


@pytest.mark.parametrize("source, parts, is_package", [
    ("import tools.testkit\nfrom tools.testkit.media import truth", ["tools", "bench", "x"], False),
    ("from . import tests", ["tools", "bench", "x"], False),            # tools.bench.tests, not tests
    ("from .. import MEDIA", ["tools", "testkit", "x"], False),
    ("import testsuite\nfrom contests import a", ["tools", "x"], False),
    ("import_module(name)", ["tools", "x"], False),
])
def test_imports_of_other_modules_pass(source, parts, is_package):
    assert not any(reaches_tests(name) for _, name in imported_modules(source, parts, is_package))


def test_relative_imports_resolve_to_absolute_names():
    def names(source, parts, is_package=False):
        return [name for _, name in imported_modules(source, parts, is_package)]
    assert names("from . import media", ["tools", "testkit", "m"]) == ["tools.testkit", "tools.testkit.media"]
    assert names("from .media import truth", ["tools", "testkit"], True) == ["tools.testkit.media"]
    assert names("from ..serve import make_server", ["tools", "testkit", "page_driver"]) == ["tools.serve"]
