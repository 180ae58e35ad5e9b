"""An OCR adversary for obscured plates: Tesseract (Debian's tesseract-ocr, called as a program),
one text line (--psm 7), capitals and digits only. A plate counts as read when the longest common
subsequence of Tesseract's text and the plate's true text is at least READ_LCS characters.

The attacker crops the plate box, stretches its contrast, scales it to plate heights Tesseract
reads well, also cuts it into black and white, and tries each as is and inverted (Tesseract reads
dark text on light best); the best reading counts. ``table`` runs every case of ``cases()`` through every mode and strength.

    rows = table(cases(), MODES, STRENGTHS)      # python -m tools.bench.ocr_table prints it"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from plateblur.obscure import OBSCURERS

from . import MEDIA
from .plates_synth import BACKGROUNDS, FONTS, plate_text, synthetic_plate

READ_LCS = 4
WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
OCR_PLATE_HEIGHTS = (72, 100)      # px: the crop is scaled so that the plate is this tall
SYNTH_WIDTHS = (12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 400)
MODES = tuple(OBSCURERS)
# barely above 0 (the CLI takes any value above 0), the page's minimum, the default; the table adds 1
STRENGTHS = (0.001, 0.1, 0.5)
# what the sample plates say, read by a person at full size; plates nobody can read are left out
SAMPLE_TEXTS = {
    ("dashcam-01.png", 0): "B778NDA", ("dashcam-02.png", 0): "B01XEN", ("dashcam-02.png", 1): "IF82EVA",
    ("dashcam-04.png", 0): "B95GSV", ("street-05.jpg", 0): "BY266", ("street-06.jpg", 0): "LXZ2672",
    ("street-07.jpg", 0): "XV30911", ("openimages-08.jpg", 1): "OU62HBD", ("openimages-09.jpg", 2): "MCG96L",
}


@dataclass(frozen=True)
class Case:
    """A plate to read: ``frame`` holds it at ``box`` (x1, y1, x2, y2 whole pixels)."""
    name: str
    frame: np.ndarray
    box: tuple[int, int, int, int]
    text: str

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]


def tesseract_path() -> str | None:
    return shutil.which("tesseract")


def lcs(a: str, b: str) -> int:
    """Length of the longest common subsequence of ``a`` and ``b``."""
    row = [0] * (len(b) + 1)
    for ca in a:
        diag = 0
        for j, cb in enumerate(b, 1):
            diag, row[j] = row[j], diag + 1 if ca == cb else max(row[j], row[j - 1])
    return row[-1]


def synthetic_cases(widths=SYNTH_WIDTHS, per_width: int = 8) -> list[Case]:
    """``per_width`` plates per width, half dark on light, half light on dark; backgrounds and
    fonts take turns so that every width sees each background with both polarities."""
    out = []
    for wi, width in enumerate(widths):
        for k in range(per_width):
            n = wi * per_width + k
            background = BACKGROUNDS[(k // 2 + wi) % len(BACKGROUNDS)]
            dark_on_light = k % 2 == 0
            font = FONTS[(k // 2 + k + wi) % len(FONTS)]
            text = plate_text(n)
            frame, box = synthetic_plate(text, width, dark_on_light, background, seed=n, font=font)
            polarity = "dark-on-light" if dark_on_light else "light-on-dark"
            out.append(Case(f"synthetic w{width} {background} {polarity} {font[:-4]}", frame, box, text))
    return out


def sample_cases() -> list[Case]:
    """The sample photos' plates that a person can read, each in its whole photo."""
    meta = {entry["file"]: entry for entry in json.loads((MEDIA / "plates.json").read_text())}
    out = []
    for (file, index), text in SAMPLE_TEXTS.items():
        frame = np.array(Image.open(MEDIA / file).convert("RGB"))
        x1, y1, x2, y2 = meta[file]["plates_xyxy"][index]
        box = (int(np.floor(x1)), int(np.floor(y1)), int(np.ceil(x2)), int(np.ceil(y2)))
        out.append(Case(f"{file} plate {index}", frame, box, text))
    return out


def cases() -> list[Case]:
    return synthetic_cases() + sample_cases()


def obscured(case: Case, mode: str, strength: float) -> np.ndarray:
    """The case's frame with exactly its plate box obscured (no padding: the hardest case)."""
    return OBSCURERS[mode]().apply(case.frame.copy(), np.array([case.box], np.int32), strength)


def attacker_views(frame: np.ndarray, box) -> list[Image.Image]:
    """What the attacker hands to Tesseract: the plate box, grey and contrast stretched, scaled to
    each of OCR_PLATE_HEIGHTS, also cut at its mean into black and white; each as is and inverted,
    with a quiet border."""
    x1, y1, x2, y2 = box
    grey = ImageOps.autocontrast(Image.fromarray(np.ascontiguousarray(frame[y1:y2, x1:x2, :3])).convert("L"))
    views = []
    for height in OCR_PLATE_HEIGHTS:
        scaled = grey.resize((max(1, round(grey.width * height / grey.height)), height), Image.BICUBIC)
        pixels = np.asarray(scaled)
        binary = Image.fromarray(np.where(pixels > pixels.mean(), 255, 0).astype(np.uint8))
        for view in (scaled, binary):
            for shown in (view, ImageOps.invert(view)):
                views.append(ImageOps.expand(shown, border=height // 4, fill=int(np.median(np.asarray(shown)))))
    return views


def read_all(images: list[Image.Image], workers: int = 2) -> list[str]:
    """Tesseract's reading of each image (capitals and digits, spaces removed); identical images
    are read once. Several images go to one Tesseract run (it loads its model once per run)."""
    keys = [hashlib.sha1(im.tobytes() + repr(im.size).encode()).hexdigest() for im in images]
    unique = dict(zip(keys, images))
    names = list(unique)
    chunks = [names[i::workers] for i in range(workers)]
    with tempfile.TemporaryDirectory() as tmp:
        for key, im in unique.items():
            im.save(f"{tmp}/{key}.png")
        with ThreadPoolExecutor(workers) as pool:
            texts = {}
            for chunk, out in zip(chunks, pool.map(lambda c: _tesseract(tmp, c), chunks)):
                texts.update(zip(chunk, out))
    return [texts[k] for k in keys]


def _tesseract(folder: str, keys: list[str]) -> list[str]:
    if not keys:
        return []
    listing = Path(folder) / f"list-{keys[0]}.txt"
    listing.write_text("".join(f"{folder}/{k}.png\n" for k in keys))
    run = subprocess.run(
        [tesseract_path() or "tesseract", str(listing), "stdout", "--psm", "7",
         "-c", f"tessedit_char_whitelist={WHITELIST}"],
        capture_output=True, text=True, check=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    pages = run.stdout.split("\f")
    if len(pages) != len(keys):
        raise RuntimeError(f"tesseract returned {len(pages)} pages for {len(keys)} images: {run.stderr}")
    return ["".join(ch for ch in page if ch in WHITELIST) for page in pages]


def best_reads(views: list[list[Image.Image]], texts: list[str]) -> list[tuple[int, str]]:
    """For each plate's ``attacker_views``: the best LCS with the true text, and what was read."""
    flat = read_all([v for vs in views for v in vs])
    out, i = [], 0
    for vs, text in zip(views, texts):
        reads = flat[i:i + len(vs)]
        i += len(vs)
        out.append(max(((lcs(r, text), r) for r in reads), key=lambda t: t[0]))
    return out


@dataclass
class Outcome:
    case: Case
    original: tuple[int, str]                                 # (LCS, text read) on the original
    after: dict[tuple[str, float], tuple[int, str]]           # (mode, strength) -> (LCS, text read)

    @property
    def readable(self) -> bool:
        return self.original[0] >= READ_LCS


def outcomes(all_cases: list[Case], modes=MODES, strengths=STRENGTHS) -> list[Outcome]:
    """Read every case's original, then every mode x strength of the cases read on the original."""
    originals = best_reads([attacker_views(c.frame, c.box) for c in all_cases], [c.text for c in all_cases])
    results = [Outcome(c, o, {}) for c, o in zip(all_cases, originals)]
    readable = [r for r in results if r.readable]
    combos = [(m, s) for m in modes for s in strengths]
    jobs = [(r, combo) for r in readable for combo in combos]
    reads = best_reads([attacker_views(obscured(r.case, *combo), r.case.box) for r, combo in jobs],
                       [r.case.text for r, _ in jobs])
    for (r, combo), read in zip(jobs, reads):
        r.after[combo] = read
    return results


def table(results: list[Outcome], modes=MODES, strengths=STRENGTHS) -> str:
    """A Markdown table: a row per mode x strength, a column per synthetic plate width, then the
    sample photos and all; each cell is 'plates read after obscuring / plates read on the original'.
    The first row gives 'plates read on the original / plates'."""
    groups: dict[str, list[Outcome]] = {}
    for r in results:
        key = f"{r.case.width} px" if r.case.name.startswith("synthetic") else "photos"
        groups.setdefault(key, []).append(r)
    groups["all"] = results
    lines = ["| mode | strength | " + " | ".join(groups) + " |", "|---|---|" + "---|" * len(groups)]
    read = {k: [r for r in g if r.readable] for k, g in groups.items()}
    lines.append("| original | | " + " | ".join(f"{len(read[k])}/{len(g)}" for k, g in groups.items()) + " |")
    for mode in modes:
        for s in strengths:
            cells = [f"{sum(r.after[(mode, s)][0] >= READ_LCS for r in read[k])}/{len(read[k])}" for k in groups]
            lines.append(f"| {mode} | {s:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def leaks(results: list[Outcome], mode: str, strength: float) -> list[str]:
    """The plates read after obscuring with ``mode`` at ``strength``: name, true text, what was read."""
    return [f"{r.case.name}: {r.case.text!r} read as {r.after[(mode, strength)][1]!r}"
            for r in results if r.readable and r.after[(mode, strength)][0] >= READ_LCS]
