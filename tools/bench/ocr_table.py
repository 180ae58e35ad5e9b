"""Prints the OCR table of tools/testkit/legibility.py: for each mode and strength, how many plates
Tesseract reads after obscuring, of those it reads on the original, by plate width.

    .venv/bin/python -m tools.bench.ocr_table      # needs tesseract (tools/setup --test)"""
from __future__ import annotations

import sys
import time

from tools.testkit import legibility


def main() -> None:
    if legibility.tesseract_path() is None:
        sys.exit("tesseract is not installed: run tools/setup --test (Debian package tesseract-ocr)")
    start = time.perf_counter()
    strengths = (*legibility.STRENGTHS, 1.0)
    results = legibility.outcomes(legibility.cases(), strengths=strengths)
    print(legibility.table(results, strengths=strengths))
    print(f"\n{len(results)} plates, a plate is read when the longest common subsequence with its text "
          f"is >= {legibility.READ_LCS}; {time.perf_counter() - start:.0f} s")
    for mode in legibility.MODES:
        for strength in strengths:
            for line in legibility.leaks(results, mode, strength):
                print(f"read after {mode} {strength:g}: {line}")


if __name__ == "__main__":
    main()
