"""Files shipped with the package: the detector models, package data ``plateblur.models`` (the repo's
models/ folder, which the page loads over HTTP; pyproject.toml maps it into the package)."""
from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path, PurePosixPath


def model_path(name: str) -> Path:
    """Path of a shipped model, by file name or by its path on the site (``settings.MODEL_FILE``,
    ``models/<file>``). Raises FileNotFoundError if the package has no such model."""
    resource = files("plateblur.models") / PurePosixPath(name).name
    if not resource.is_file():
        raise FileNotFoundError(f"plateblur ships no model {name!r}")
    with as_file(resource) as path:     # the file itself: the package is installed unzipped
        return path
