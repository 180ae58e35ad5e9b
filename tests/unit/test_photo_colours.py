"""A PNG keeps its colour type and bit depth through decode -> obscure -> encode: 16-bit grey,
grey+alpha, RGB and RGBA stay 16-bit, 8-bit grey and grey+alpha stay grey, a palette stays a palette
where the result's colours fit one. Pixels outside the regions come back exactly, those inside are
the obscured 8-bit view's (so no low bits of the plate survive). The 16-bit inputs and the read-back
of the results are ffmpeg's, not this project's PNG code."""
from __future__ import annotations

import io
import shutil
import subprocess
import zlib

import numpy as np
import pytest
from PIL import Image

from plateblur import pipeline
from plateblur.imageio import decode_photo, encode_photo
from plateblur.settings import Settings
from tests.support.helpers import encode_image, noise_frame

REGION = np.array([[6, 4, 26, 16]], np.int32)   # x1, y1, x2, y2
INSIDE = (slice(4, 16), slice(6, 26))
DEEP_FORMATS = {"gray16be": 1, "ya16be": 2, "rgb48be": 3, "rgba64be": 4}   # ffmpeg pixel format -> channels
MODES = ("blur", "pixelate", "fill")

ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg makes and reads the 16-bit PNGs")


def _noise16(channels: int, w: int = 40, h: int = 24, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 65536, (h, w, channels), dtype=np.uint16)


def _ffmpeg_png(pixels: np.ndarray, pix_fmt: str) -> bytes:
    h, w = pixels.shape[:2]
    return subprocess.run(["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-s", f"{w}x{h}",
                           "-i", "-", "-f", "image2pipe", "-c:v", "png", "-"],
                          input=pixels.astype(">u2").tobytes(), capture_output=True, check=True).stdout


def _ffmpeg_read(png: bytes) -> tuple[str, np.ndarray]:
    """The PNG's pixel format as ffprobe names it, and its pixels in that format (uint16)."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=pix_fmt,width,height", "-of",
                            "csv=p=0", "-"], input=png, capture_output=True, check=True, text=False).stdout
    width, height, pix_fmt = probe.decode().strip().split(",")
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", "-", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
                         input=png, capture_output=True, check=True).stdout
    return pix_fmt, np.frombuffer(raw, ">u2").reshape(int(height), int(width), -1).astype(np.uint16)


def _interlaced_png16(pixels: np.ndarray) -> bytes:
    """An Adam7-interlaced 16-bit PNG (every row unfiltered), written here as the PNG spec says."""
    h, w, channels = pixels.shape
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = pixels[y0::dy, x0::dx].astype(">u2")
        if sub.size:
            raw += b"".join(b"\0" + row.tobytes() for row in sub)

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return len(payload).to_bytes(4, "big") + kind + payload + zlib.crc32(kind + payload).to_bytes(4, "big")

    header = w.to_bytes(4, "big") + h.to_bytes(4, "big") + bytes((16, colour_type, 0, 0, 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _obscured(photo, mode: str) -> bytes:
    image = pipeline.obscure(photo.rgb, REGION, Settings(mode=mode))
    return encode_photo(photo, image, REGION)


def _outside(array: np.ndarray) -> np.ndarray:
    mask = np.ones(array.shape[:2], bool)
    mask[INSIDE] = False
    return array[mask]


@ffmpeg
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("pix_fmt", DEEP_FORMATS)
def test_sixteen_bit_png_stays_sixteen_bit(pix_fmt, mode):
    channels = DEEP_FORMATS[pix_fmt]
    source = _noise16(channels)
    photo = decode_photo(_ffmpeg_png(source, pix_fmt))
    np.testing.assert_array_equal(photo.deep, source)
    colour = source[..., :3] if channels >= 3 else np.repeat(source[..., :1], 3, axis=2)
    np.testing.assert_array_equal(photo.rgb, colour >> 8)                       # the detector's view
    obscured8 = pipeline.obscure(photo.rgb, REGION, Settings(mode=mode))

    out_fmt, out = _ffmpeg_read(encode_photo(photo, obscured8, REGION))
    assert out_fmt == pix_fmt
    np.testing.assert_array_equal(_outside(out), _outside(source))
    colours = 1 if channels <= 2 else 3
    inside, before = out[INSIDE][..., :colours], source[INSIDE][..., :colours]
    assert (inside != before).mean() > 0.9
    np.testing.assert_array_equal(inside, obscured8[INSIDE][..., :colours].astype(np.uint16) * 257)
    if channels in (2, 4):
        np.testing.assert_array_equal(out[INSIDE][..., -1], source[INSIDE][..., -1])  # alpha as it was


def test_interlaced_sixteen_bit_png_decodes_whole():
    source = _noise16(3, 37, 21, seed=5)
    photo = decode_photo(_interlaced_png16(source))
    np.testing.assert_array_equal(photo.deep, source)


def test_sixteen_bit_png_with_orientation_comes_back_upright_and_sixteen_bit():
    stored = _noise16(1, 30, 20, seed=6)[..., 0]
    exif = Image.Exif()
    exif[0x0112] = 6                                            # shown turned 90 degrees clockwise
    out = io.BytesIO()
    Image.fromarray(stored).save(out, format="PNG", exif=exif)
    photo = decode_photo(out.getvalue())
    upright = np.rot90(stored, -1)
    np.testing.assert_array_equal(photo.deep[..., 0], upright)
    again = Image.open(io.BytesIO(encode_photo(photo, photo.rgb, np.zeros((0, 4), np.int32))))
    assert again.mode.startswith("I") and again.size == (20, 30)
    np.testing.assert_array_equal(np.asarray(again).astype(np.uint16), upright)


def test_no_region_still_writes_every_changed_pixel():
    """Fail closed: a pixel the caller changed outside the regions it named is written too."""
    out = io.BytesIO()
    Image.fromarray(_noise16(1, 8, 8)[..., 0] | 0x0100).save(out, format="PNG")   # no pixel below 256
    photo = decode_photo(out.getvalue())
    changed = photo.rgb.copy()
    changed[2, 3] = 0
    out = Image.open(io.BytesIO(encode_photo(photo, changed, np.zeros((0, 4), np.int32))))
    assert np.asarray(out)[2, 3] == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["L", "LA"])
def test_grey_png_stays_grey(kind, mode):
    source = noise_frame(40, 24, seed=7, channels=1 if kind == "L" else 2)
    source = source[..., 0] if kind == "L" else source
    photo = decode_photo(encode_image(source, "PNG"))
    out = Image.open(io.BytesIO(_obscured(photo, mode)))
    assert out.mode == kind
    pixels = np.asarray(out)
    np.testing.assert_array_equal(_outside(pixels), _outside(source))
    grey, before = pixels[INSIDE], source[INSIDE]
    if kind == "LA":
        np.testing.assert_array_equal(grey[..., 1], before[..., 1])
        grey, before = grey[..., 0], before[..., 0]
    assert (grey != before).mean() > 0.9


def test_grey_jpeg_stays_grey():
    photo = decode_photo(encode_image(noise_frame(40, 24, seed=8)[..., 0], "JPEG"))
    assert Image.open(io.BytesIO(_obscured(photo, "blur"))).mode == "L"


def _palette_png(colours: int, transparent: bool = False) -> tuple[bytes, np.ndarray]:
    """A palette PNG of ``colours`` colours in 4 x 4 blocks, and its pixels as RGB(A)."""
    rng = np.random.default_rng(colours)
    palette = rng.integers(0, 256, (colours, 3), dtype=np.uint8)
    index = np.kron(rng.integers(0, colours, (6, 10)), np.ones((4, 4), np.int64)).astype(np.uint8)
    img = Image.frombytes("P", index.shape[::-1], index.tobytes())
    img.putpalette(palette.tobytes())
    alpha = np.where(np.arange(colours) % 2, 255, 0).astype(np.uint8)
    out = io.BytesIO()
    img.save(out, format="PNG", **({"transparency": alpha.tobytes()} if transparent else {}))
    rgb = palette[index]
    return out.getvalue(), np.dstack([rgb, alpha[index]]) if transparent else rgb


@pytest.mark.parametrize("transparent", [False, True])
@pytest.mark.parametrize("mode", ["fill", "pixelate"])
def test_palette_png_stays_palette_where_the_colours_fit(mode, transparent):
    data, source = _palette_png(8, transparent)
    photo = decode_photo(data)
    out = Image.open(io.BytesIO(_obscured(photo, mode)))
    assert out.mode == "P"
    pixels = np.asarray(out.convert("RGBA" if transparent else "RGB"))
    np.testing.assert_array_equal(_outside(pixels), _outside(source))
    assert (pixels[INSIDE][..., :3] != source[INSIDE][..., :3]).any(axis=-1).mean() > 0.5


def test_palette_png_whose_result_needs_more_colours_becomes_rgb():
    data, source = _palette_png(250)
    photo = decode_photo(data)
    out = Image.open(io.BytesIO(_obscured(photo, "blur")))     # a blur brings many new colours
    assert out.mode == "RGB"
    np.testing.assert_array_equal(_outside(np.asarray(out)), _outside(source))


@pytest.mark.parametrize(("mode", "kept"), [("fill", "1"), ("blur", "L")])
def test_black_and_white_png_stays_so_where_it_can(mode, kept):
    source = noise_frame(40, 24, seed=9)[..., 0] > 127
    photo = decode_photo(encode_image(source, "PNG"))
    out = Image.open(io.BytesIO(_obscured(photo, mode)))
    assert out.mode == kept
    np.testing.assert_array_equal(_outside(np.asarray(out.convert("L"))), _outside(source * np.uint8(255)))
