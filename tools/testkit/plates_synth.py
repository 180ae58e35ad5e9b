"""Synthetic licence plates for the legibility test: text in a plate-like font (DejaVu Sans Bold
or Sans Mono Bold, Debian's fonts-dejavu-core), dark on light or light on dark, drawn large and
scaled down to the plate's width as a camera would, on a scene background around it.

    scene, box = synthetic_plate("KA48TX7", width=120, dark_on_light=True, background="noise", seed=3)

``box`` is the plate's x1, y1, x2, y2 in ``scene`` (H x W x 3 uint8). Needs numpy and Pillow."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import MEDIA

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = ("DejaVuSans-Bold.ttf", "DejaVuSansMono-Bold.ttf")
BACKGROUNDS = ("flat", "noise", "gradient", "photo")
PHOTO = MEDIA / "noplate-10.jpg"   # a street, no plate
ASPECT = 4.2            # plate width / height (EU plates are 4.7, many others 2 to 4)
DRAW_HEIGHT = 200       # plates are drawn at this height, then scaled to their size
LETTERS, DIGITS = "ABCDEFGHJKLMNPRSTUVWXYZ", "0123456789"


def plate_text(seed: int) -> str:
    """A plate-like string of 7 characters: 2 letters, 2-3 digits, letters to 7."""
    rng = np.random.default_rng(seed)
    n_digits = 2 + seed % 2
    pick = lambda chars, n: "".join(rng.choice(list(chars), n))   # noqa: E731
    return pick(LETTERS, 2) + pick(DIGITS, n_digits) + pick(LETTERS, 5 - n_digits)


def synthetic_plate(text: str, width: int, dark_on_light: bool, background: str, seed: int = 0,
                    font: str = FONTS[0]) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A scene with one plate ``width`` px wide showing ``text``; the scene reaches half a plate
    height (at least 4 px) beyond the plate on every side."""
    plate = _draw_plate(text, dark_on_light, font)
    height = max(3, round(width / ASPECT))
    plate = np.asarray(Image.fromarray(plate).resize((width, height), Image.LANCZOS, reducing_gap=3.0))
    margin = max(4, height // 2)
    scene = _background(background, width + 2 * margin, height + 2 * margin, seed)
    scene[margin:margin + height, margin:margin + width] = plate
    return scene, (margin, margin, margin + width, margin + height)


@lru_cache(maxsize=64)
def _draw_plate(text: str, dark_on_light: bool, font: str) -> np.ndarray:
    h = DRAW_HEIGHT
    w = round(h * ASPECT)
    ink, paper = ((20, 20, 25), (236, 234, 222)) if dark_on_light else ((238, 238, 232), (28, 30, 40))
    img = Image.new("RGB", (w, h), paper)
    draw = ImageDraw.Draw(img)
    border = max(2, h // 25)
    draw.rectangle((border, border, w - 1 - border, h - 1 - border), outline=ink, width=border)
    shown = f"{text[:2]} {text[2:]}"
    size = h
    while True:   # the largest size whose capitals fill at most 70 % of the height and 88 % of the width
        face = ImageFont.truetype(str(FONT_DIR / font), size)
        x0, y0, x1, y1 = draw.textbbox((0, 0), shown, font=face)
        if (y1 - y0) <= 0.7 * h and (x1 - x0) <= 0.88 * w:
            break
        size -= 2
    draw.text(((w - (x1 - x0)) / 2 - x0, (h - (y1 - y0)) / 2 - y0), shown, font=face, fill=ink)
    return np.asarray(img)


def _background(kind: str, w: int, h: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "flat":
        return np.full((h, w, 3), rng.integers(40, 216, 3), np.uint8)
    if kind == "noise":
        base = rng.integers(60, 196, 3)
        return np.clip(base + rng.normal(0, 40, (h, w, 3)), 0, 255).astype(np.uint8)
    if kind == "gradient":
        a, b = rng.integers(0, 256, (2, 3))
        t = np.linspace(0, 1, w)[None, :, None] * 0.6 + np.linspace(0, 1, h)[:, None, None] * 0.4
        return np.broadcast_to(a + (b - a) * t, (h, w, 3)).astype(np.uint8)  # astype copies
    if kind == "photo":
        photo = _photo()
        x = rng.integers(0, photo.width - 300)
        y = rng.integers(0, photo.height - 100)
        return np.array(photo.crop((x, y, x + 300, y + 100)).resize((w, h), Image.BILINEAR))
    raise ValueError(f"unknown background {kind!r}")


@lru_cache(maxsize=1)
def _photo() -> Image.Image:
    return Image.open(PHOTO).convert("RGB")
