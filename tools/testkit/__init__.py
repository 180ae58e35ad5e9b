"""What the tests and the tools (benchmarks, screenshots, set-up) share, so that tools never import tests:
``page_driver`` the page in headless Chromium on a local server, ``make_media`` the test videos' generator
(``python -m tools.testkit.make_media``, run by tools/setup --test), ``media`` their ground truth and the
checks on what the page wrote, ``legibility`` the OCR adversary (with ``plates_synth``'s synthetic plates).
What only the tests use stays in tests/support."""
from tools import REPO_ROOT, SHARED

MEDIA = SHARED / "media"                      # the sample photos and their plates.json

__all__ = ["MEDIA", "REPO_ROOT", "SHARED"]
