"""The page's worker gets every module of the package it imports (pyscript.toml [files])."""
from __future__ import annotations

import tomllib

from tools.testkit import REPO_ROOT

CPYTHON_ONLY = {"__main__.py"}
CPYTHON_ONLY_PACKAGES = {"cpython"}   # the CLI, onnxruntime and batches (the page fetches models/ itself)


def test_every_module_the_worker_needs_is_mapped():
    config = tomllib.loads((REPO_ROOT / "pyscript.toml").read_text())
    mapped = {source.removeprefix("./") for source in config["files"]}
    package = REPO_ROOT / "py" / "plateblur"
    needed = {str(p.relative_to(REPO_ROOT)) for p in package.rglob("*.py")
              if p.name not in CPYTHON_ONLY and p != package / "browser" / "worker.py"
              and p.relative_to(package).parts[0] not in CPYTHON_ONLY_PACKAGES}
    needed |= {str(p.relative_to(REPO_ROOT)) for p in package.rglob("*.json")}   # the worker protocol
    assert needed - mapped == set(), "add these to [files] in pyscript.toml"
    assert mapped - needed == set(), "pyscript.toml maps files that do not exist"
    for source, target in config["files"].items():
        assert target == "./" + source.removeprefix("./py/"), f"{source} lands at {target}"


def test_the_page_loads_everything_from_this_site():
    config = tomllib.loads((REPO_ROOT / "pyscript.toml").read_text())
    assert config["interpreter"].startswith("./vendor/")
    for module in config["js_modules"]["worker"]:
        assert module.startswith("./"), module
