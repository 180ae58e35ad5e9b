"""What the tests share (the benchmarks in tools/bench use it too):
``helpers`` builders and a stand-in detector, ``make_media`` the test videos' generator, ``media``
their ground truth and the checks on what the page wrote, ``page_driver`` the page in Chromium."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"          # the read-only sample data, beside the repo
MEDIA = SHARED / "media"
