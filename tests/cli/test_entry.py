"""The command itself: its name in the usage line, --version, and how a failure outside any one file
is told (one line, never a traceback)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tests.cli.cli_run import cli_env, run_cli, run_main

from plateblur.cpython import cli, cluster, outputs
from plateblur.cpython.onnx_model import ModelError
from plateblur.usererror import UserError


def test_version_prints_the_packages_version(tmp_path):
    result = run_cli("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == f"plateblur {metadata.version('plateblur')}\n"


def test_a_version_without_package_metadata_is_said_not_crashed(monkeypatch, capsys):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    with pytest.raises(SystemExit) as done:
        cli.parse_args(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == "plateblur (version unknown: not installed as a package)\n"


def test_the_usage_line_names_plateblur_under_python_m(tmp_path):
    result = run_cli(cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: plateblur "), result.stderr
    assert "plateblur: error: the following arguments are required: inputs" in result.stderr


def test_the_usage_line_names_plateblur_as_the_installed_command(tmp_path):
    command = shutil.which("plateblur", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.skip("no plateblur command next to this Python (the package is not installed with its scripts)")
    result = subprocess.run([command, "--help"], cwd=tmp_path, env=cli_env(), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.startswith("usage: plateblur "), result.stdout


class NewUserError(UserError):
    """A user error no handler names: the CLI must tell it by its family."""


@pytest.mark.parametrize("exc, code, line", [
    (NewUserError("the reason, for the user"), 1, "plateblur: the reason, for the user"),
    (outputs.OutputError("cannot write results to out: it is a file, not a folder"), 1,
     "plateblur: cannot write results to out: it is a file, not a folder"),
    (cluster.RayError(cluster.NO_RAY), 1, f"plateblur: {cluster.NO_RAY}"),
    (ModelError("cannot use the model photo.jpg: it is not an ONNX model"), 1,
     "plateblur: cannot use the model photo.jpg: it is not an ONNX model"),
    (KeyboardInterrupt(), cli.INTERRUPTED, "plateblur: interrupted; nothing was written"),
    (ZeroDivisionError("division by zero"), 1, "plateblur: internal error (ZeroDivisionError: division by zero)"),
])
def test_a_failure_of_the_run_is_one_line_with_its_text(monkeypatch, capsys, tmp_path, exc, code, line):
    def failing(run_plan):
        raise exc

    monkeypatch.setattr(cli, "execute", failing)
    assert run_main(tmp_path, capsys=capsys) == (code, "", line + "\n")
