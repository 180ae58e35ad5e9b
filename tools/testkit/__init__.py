"""What the tests and the tools (benchmarks, screenshots, set-up) share, so that tools never import tests:
``page_driver`` the page in headless Chromium on a local server, ``make_media`` the test videos' generator
(``python -m tools.testkit.make_media``, run by tools/setup --test), ``media`` their ground truth and the
checks on what the page wrote, ``legibility`` the OCR adversary (with ``plates_synth``'s synthetic plates).
What only the tests use stays in tests/support."""
from tools import REPO_ROOT, SHARED

MEDIA = SHARED / "media"                      # the sample photos and their plates.json
# A photo with one clear face and a plate (Open Images, CC BY 2.0: ../shared/data/plates/SOURCES.md), and
# that face from brow to chin, by eye, in its 416 x 416 pixels: a man washing a car.
FACE_PHOTO = SHARED / "data" / "plates" / "images" / "train" / "openimages_01687.webp"
FACE_BOX = (197, 18, 219, 52)

__all__ = ["FACE_BOX", "FACE_PHOTO", "MEDIA", "REPO_ROOT", "SHARED"]
