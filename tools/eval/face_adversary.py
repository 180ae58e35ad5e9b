"""The face adversary's table (tools/testkit/face_legibility.py): labelled faces OpenCV's Haar cascades
find unobscured, and how many they find again after each mode at its weakest setting, at pad 0: by the
test's rule (a Haar box matching the face, IoU >= 0.3) and by the first version's (any box centred in the region).

    PYTHONPATH=py .venv/bin/python -m tools.eval.face_adversary [--faces ../facedata] [--limit 200]"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.testkit.face_legibility import WEAKEST, load_set, table

from .faces import DEFAULT_FACES


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    p.add_argument("--limit", type=int, default=None, help="stop after this many faces the adversary sees")
    a = p.parse_args(argv)
    if not (a.faces / "faces.json").is_file():
        sys.exit(f"face_adversary: no faces.json in {a.faces}")
    rows = table(load_set(a.faces), a.limit)
    centred = table(load_set(a.faces), a.limit, by_centre=True)
    print("| mode (weakest setting, pad 0) | faces Haar finds unobscured | found again | "
          "by the first rule: seen | found again |\n|---|---:|---:|---:|---:|")
    for mode, strength in WEAKEST.items():
        print(f"| {mode} {'' if mode == 'fill' else strength} | {rows['faces']} | {rows[mode]} | "
              f"{centred['faces']} | {centred[mode]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
