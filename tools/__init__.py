"""Developer tools, run as modules from the repo root: ``bench`` (speed and memory of the page and the
CLI), ``eval`` (evaluation, negatives, training, the model card) and ``testkit`` (the page driver and
the test videos, shared with tests/), e.g. ``.venv/bin/python -m tools.eval.evaluate --help``. serve.py
serves the page (tools/serve). The tests import tools, never the other way round
(tests/tools/test_imports.py)."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"          # the read-only sample data, beside the repo
