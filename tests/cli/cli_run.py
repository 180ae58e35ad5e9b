"""Running the command line in the CLI tests: as a subprocess, or in-process (fast; lets a test
simulate what the operating system would answer)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools.testkit import MEDIA

SUMMARY = r"plateblur: {done} done, {failed} failed, {skipped} skipped; \d+ plates?, \d+ faces? found; \d+\.\d s"


def cli_env() -> dict:
    """The environment of a CLI subprocess: this one's (the package is installed in it)."""
    return dict(os.environ)


def run_cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "plateblur", *map(str, args)], cwd=cwd, env=cli_env(),
                          capture_output=True, text=True, timeout=300)


def run_main(*args, capsys) -> tuple[int, str, str]:
    """``plateblur.cpython.cli.main`` in this process (in the current folder): (exit code, stdout, stderr)."""
    from plateblur.cpython.cli import main

    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def copy_sample(name: str, folder: Path, as_name: str | None = None) -> Path:
    target = folder / (as_name or name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MEDIA / name, target)
    return target


def json_lines(stdout: str) -> list[dict]:
    lines = stdout.splitlines()
    assert all(line.startswith("{") for line in lines), stdout
    return [json.loads(line) for line in lines]
