"""Developer tools, run as modules from the repo root: ``bench`` (speed and memory of the page and the
CLI) and ``eval`` (evaluation, negatives, training, the model card), e.g.
``.venv/bin/python -m tools.eval.evaluate --help``. serve.py serves the page (tools/serve)."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"          # the read-only sample data, beside the repo
