"""Every mode hides every plate's text from an OCR adversary (tools/testkit/legibility.py: Tesseract, one
line, A-Z0-9), at the weakest strengths and the default: synthetic plates 12 to 400 px wide and the
sample photos' plates. Plates Tesseract cannot read on the original are not counted.
About 30 s of CPU time (two Tesseract processes at once); `python -m tools.bench.ocr_table` prints the table."""
import pytest

from tools.testkit import legibility
from tools.testkit.legibility import MODES, READ_LCS, STRENGTHS


@pytest.fixture(scope="module")
def results():
    assert legibility.tesseract_path(), "tesseract is not installed: run tools/setup --test (Debian package tesseract-ocr)"
    out = legibility.outcomes(legibility.cases(), MODES, STRENGTHS)
    print("\n" + legibility.table(out, MODES, STRENGTHS))
    return out


def test_lcs():
    assert legibility.lcs("B01XEN", "B01XEN") == 6
    assert legibility.lcs("FBO1XEN", "B01XEN") == 5
    assert legibility.lcs("", "B01XEN") == legibility.lcs("QQQ", "B01XEN") == 0


def test_the_adversary_reads_the_originals(results):
    """The test means something only if Tesseract reads the plates before they are obscured:
    every synthetic plate from 48 px wide, half of those 32 px wide, half of the sample plates."""
    synthetic = [r for r in results if r.case.name.startswith("synthetic")]
    photos = [r for r in results if not r.case.name.startswith("synthetic")]
    assert [r.case.name for r in synthetic if r.case.width >= 48 and not r.readable] == []
    at_32 = [r for r in synthetic if r.case.width == 32]
    assert sum(r.readable for r in at_32) >= len(at_32) / 2
    assert sum(r.readable for r in photos) >= len(photos) / 2


@pytest.mark.parametrize("strength", STRENGTHS)
@pytest.mark.parametrize("mode", MODES)
def test_obscured_plates_are_unreadable(results, mode, strength):
    leaks = legibility.leaks(results, mode, strength)
    assert leaks == [], f"{len(leaks)} plates still read (LCS >= {READ_LCS}) after {mode} {strength}:\n" + "\n".join(leaks)
