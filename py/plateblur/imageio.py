"""Photos as bytes <-> pixels with Pillow, in CPython and in Pyodide alike.

Decoding goes by content, applies the EXIF orientation (and drops the rest of the metadata, which
may be corrupt) and refuses what it cannot handle with an ImageError meant for the user (a code and its
params for the page, the English text for the CLI: usererror.py). Encoding writes from pixels only, so no EXIF, XMP
or GPS metadata survives (the ICC colour profile is kept).

The detector and the obscurers see an 8-bit RGB view (``Photo.rgb``); the result keeps the file's own
colour type and bit depth: grey stays grey (JPEG too), grey+alpha stays grey+alpha, a palette PNG keeps a
palette where the result's colours fit one (256 at most; else it becomes RGB(A): blurred plates bring new
colours), and a 16-bit PNG stays 16-bit: its pixels outside the obscured regions are kept whole, those
inside take the obscured 8-bit values (v * 257), so no bit of the plate survives below the 8 the
obscurers changed. 1, 2 and 4-bit grey come back as 8-bit grey (1-bit where it stays black and white)."""
from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from .usererror import UserError

MAX_PIXELS = 50_000_000
FORMATS = {  # Pillow format -> (MIME type, file extension)
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
}
ORIENTATION_TAG = 0x0112
TRANSPOSE_FOR_ORIENTATION = {   # EXIF orientation -> the transpose that makes the photo upright
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
ARRAY_TRANSPOSE = {   # the same transposes of a numpy H x W x C array
    Image.Transpose.FLIP_LEFT_RIGHT: lambda a: a[:, ::-1],
    Image.Transpose.ROTATE_180: lambda a: a[::-1, ::-1],
    Image.Transpose.FLIP_TOP_BOTTOM: lambda a: a[::-1],
    Image.Transpose.TRANSPOSE: lambda a: a.swapaxes(0, 1),
    Image.Transpose.ROTATE_270: lambda a: np.rot90(a, -1),
    Image.Transpose.TRANSVERSE: lambda a: a[::-1, ::-1].swapaxes(0, 1),
    Image.Transpose.ROTATE_90: lambda a: np.rot90(a, 1),
}
AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B ")   # ISO BMFF brands of audio-only files
PNG_COLOUR_TYPES = {0: 1, 2: 3, 4: 2, 6: 4}   # PNG colour type (grey, RGB, grey+alpha, RGBA) -> channels
GREY_WEIGHTS = (19595, 38470, 7471)          # Pillow's RGB -> L weights (sum 65536: grey stays exact)
SAVE_OPTIONS = {
    "JPEG": {"quality": 95, "subsampling": 0},
    "PNG": {"compress_level": 1},
    "WEBP": {"quality": 95},
}


class ImageError(UserError, ValueError):
    """The input cannot be anonymised; the message says why, for the user."""


@dataclass
class Photo:
    """Decoded photo: ``rgb`` H x W x 3 uint8 (orientation applied), ``alpha`` H x W uint8 or None;
    ``colours`` the colour type the result is written in ("RGB": RGB(A), "L": grey, "1": black and
    white, "P": palette), ``deep`` a 16-bit PNG's own pixels (H x W x channels uint16, upright; the
    8-bit view is their upper byte) or None."""

    rgb: np.ndarray
    alpha: np.ndarray | None
    format: str
    icc_profile: bytes | None = None
    colours: str = "RGB"
    deep: np.ndarray | None = None

    @property
    def mime(self) -> str:
        return FORMATS[self.format][0]

    @property
    def extension(self) -> str:
        return FORMATS[self.format][1]


def decode_photo(data: bytes) -> Photo:
    if not data:
        raise ImageError("the file is empty", code="image.empty")
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format
            if fmt == "MPO":      # a camera JPEG carrying a second picture (preview, depth): use the first
                img.seek(0)
                fmt = "JPEG"
            if fmt not in FORMATS:
                raise ImageError("{format} images are not supported; use JPEG, PNG or WebP",
                                 code="image.unsupported_format", format=str(fmt))
            if fmt != "JPEG" and getattr(img, "n_frames", 1) > 1:
                raise ImageError("animated images are not supported", code="image.animated")
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise ImageError("the image is too large ({width}x{height} = {megapixels} MP; the limit is {limit} MP)",
                                 code="image.too_large", width=w, height=h, megapixels=round(w * h / 1e6),
                                 limit=round(MAX_PIXELS / 1e6))
            img.load()
            icc = img.info.get("icc_profile")
            turn = _turn_for(img)
            deep = _deep_png(data, img.size) if fmt == "PNG" else None
            if deep is not None:
                return _deep_photo(ARRAY_TRANSPOSE[turn](deep) if turn is not None else deep, icc)
            img = img.transpose(turn) if turn is not None else img
            colours = _colour_type(img) if fmt != "WEBP" else "RGB"
            has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
            rgba = img.convert("RGBA") if has_alpha else None
            rgb = np.asarray((rgba or img).convert("RGB"))
            alpha = np.asarray(rgba)[:, :, 3].copy() if rgba is not None else None
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageError("the image is too large (the limit is {limit} MP)", code="image.over_limit",
                         limit=round(MAX_PIXELS / 1e6)) from exc
    except UnidentifiedImageError as exc:
        if _is_audio(data):
            raise ImageError("the file is audio only: it has no picture", code="image.audio_only") from exc
        raise ImageError("not an image, or not a JPEG, PNG or WebP file", code="image.not_an_image") from exc
    except (OSError, SyntaxError, ValueError, zlib.error) as exc:
        raise ImageError("the image data is truncated or corrupt ({reason})", code="image.corrupt",
                         reason=str(exc)) from exc
    return Photo(np.ascontiguousarray(rgb), alpha, fmt, icc, colours)


def _is_audio(data: bytes) -> bool:
    """Whether ``data`` begins as a sound file does: MP3 (an ID3 tag or an MPEG audio frame), AAC,
    FLAC, WAV, AIFF, AMR or M4A."""
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return True
    if data[:4] in (b"fLaC", b"#!AM") or (data[:4] in (b"RIFF", b"FORM") and data[8:12] in (b"WAVE", b"AIFF", b"AIFC")):
        return True
    return data[4:8] == b"ftyp" and data[8:12] in AUDIO_BRANDS


def _colour_type(img: Image.Image) -> str:
    """The colour type a result of ``img`` (as Pillow opened it) is written in."""
    if img.mode in ("L", "LA"):
        return "L"
    return img.mode if img.mode in ("1", "P") else "RGB"


def _png_chunks(data: bytes):
    """(type, payload) of each chunk of a PNG file."""
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        yield data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length


def _deep_png(data: bytes, size: tuple[int, int]) -> np.ndarray | None:
    """A 16-bit PNG's pixels, H x W x channels uint16 (None for 8 bits or fewer). Pillow opens such
    files with 8 bits per channel (grey alone with 16), so its PNG decoder is run on the image data
    again with raw modes that give every byte."""
    depth, colour_type, interlace = data[24], data[25], data[28]
    if depth != 16 or colour_type not in PNG_COLOUR_TYPES:
        return None
    stream = b"".join(payload for kind, payload in _png_chunks(data) if kind == b"IDAT")
    if colour_type in (0, 4):     # grey (+ alpha): 2 or 4 bytes a pixel, each byte as one 8-bit channel
        mode = "LA" if colour_type == 0 else "RGBA"
        raw = np.asarray(Image.frombytes(mode, size, stream, "zip", (mode, interlace)), np.uint16)
        return raw[..., 0::2] << 8 | raw[..., 1::2]
    mode = "RGB" if colour_type == 2 else "RGBA"
    high = np.asarray(Image.frombytes(mode, size, stream, "zip", (f"{mode};16B", interlace)), np.uint16)
    low = np.asarray(Image.frombytes(mode, size, stream, "zip", (f"{mode};16L", interlace)), np.uint16)
    return high << 8 | low


def _deep_photo(deep: np.ndarray, icc: bytes | None) -> Photo:
    view = (deep >> 8).astype(np.uint8)
    grey = deep.shape[2] <= 2
    rgb = np.repeat(view[..., :1], 3, axis=2) if grey else view[..., :3]
    alpha = view[..., -1].copy() if deep.shape[2] in (2, 4) else None
    return Photo(np.ascontiguousarray(rgb), alpha, "PNG", icc, "L" if grey else "RGB", deep)


def _turn_for(img: Image.Image) -> Image.Transpose | None:
    """The transpose that turns the photo as its EXIF orientation says (None: none). Unlike
    ImageOps.exif_transpose this never re-serialises the EXIF block, so a corrupt one (a bad GPS
    block, say) cannot stop the photo."""
    try:
        orientation = img.getexif().get(ORIENTATION_TAG, 1)
    except Exception:   # unreadable EXIF: the pixels as stored are what is detected on and written
        orientation = 1
    return TRANSPOSE_FOR_ORIENTATION.get(orientation) if isinstance(orientation, int) else None


def rgb_from_rgba(data: bytes, width: int, height: int) -> np.ndarray:
    """H x W x 3 uint8 from RGBA bytes (a canvas's pixels); Pillow's conversion is about 8 times
    faster in Pyodide than numpy's strided copy."""
    return np.asarray(Image.frombuffer("RGBA", (width, height), data, "raw", "RGBA", 0, 1).convert("RGB"))


def encode_photo(photo: Photo, rgb: np.ndarray, regions: np.ndarray) -> bytes:
    """Encode ``rgb`` (the anonymised 8-bit pixels, ``regions`` (int (N, 4)) the ones obscured) in the
    photo's own format, colour type and bit depth, with its alpha. Every pixel in a region, or
    different from ``photo.rgb``, is taken from ``rgb``."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if photo.deep is not None:
        return _png16(_deep_result(photo, rgb, regions), photo.icc_profile)
    img = _in_colour_type(photo, rgb)
    options = dict(SAVE_OPTIONS[photo.format])
    if photo.icc_profile:
        options["icc_profile"] = photo.icc_profile
    out = io.BytesIO()
    img.save(out, format=photo.format, **options)
    return out.getvalue()


def _in_colour_type(photo: Photo, rgb: np.ndarray) -> Image.Image:
    """``rgb`` and the photo's alpha as an image of its colour type (RGB(A) where a palette or black
    and white cannot hold the result exactly)."""
    img = Image.fromarray(rgb)
    if photo.colours in ("L", "1"):
        img = img.convert("L")
        if photo.colours == "1" and photo.alpha is None and np.isin(np.asarray(img), (0, 255)).all():
            return img.convert("1", dither=Image.Dither.NONE)
    if photo.alpha is not None:
        img.putalpha(Image.fromarray(photo.alpha))
    if photo.colours == "P" and photo.format == "PNG":
        return _palette(img) or img
    return img


def _palette(img: Image.Image) -> Image.Image | None:
    """``img`` (RGB or RGBA) with a palette of its own colours, or None where it has more than 256."""
    pixels = np.asarray(img)
    flat = pixels.reshape(-1, pixels.shape[2])
    colours, index = np.unique(flat, axis=0, return_inverse=True)
    if len(colours) > 256:
        return None
    indexed = Image.frombytes("P", img.size, index.astype(np.uint8).tobytes())
    indexed.putpalette(colours[:, :3].tobytes())
    if pixels.shape[2] == 4:
        indexed.info["transparency"] = colours[:, 3].tobytes()
    return indexed


def _deep_result(photo: Photo, rgb: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """The 16-bit pixels with the obscured ones from ``rgb`` (scaled: v * 257), alpha as it was."""
    changed = (rgb != photo.rgb).any(axis=2)
    for x1, y1, x2, y2 in np.asarray(regions, np.intp).reshape(-1, 4).tolist():
        changed[max(y1, 0):max(y2, 0), max(x1, 0):max(x2, 0)] = True
    deep = photo.deep.copy()
    colour = rgb[changed].astype(np.uint32)
    if deep.shape[2] <= 2:   # grey: the obscurers keep the channels equal, so this is exact
        colour = (colour @ np.asarray(GREY_WEIGHTS, np.uint32) + 0x8000)[:, None] >> 16
    deep[changed, :colour.shape[1]] = colour.astype(np.uint16) * 257
    return deep


def _png16(pixels: np.ndarray, icc_profile: bytes | None) -> bytes:
    """A 16-bit PNG of ``pixels`` (H x W x channels uint16), which Pillow cannot write but for grey.
    Each row is stored with the Up filter (its difference from the row above)."""
    h, w, channels = pixels.shape
    colour_type = {c: t for t, c in PNG_COLOUR_TYPES.items()}[channels]
    rows = pixels.astype(">u2").view(np.uint8).reshape(h, w * channels * 2)
    filtered = np.empty((h, rows.shape[1] + 1), np.uint8)
    filtered[:, 0] = 2 if h > 1 else 0
    filtered[0, 0] = 0
    filtered[0, 1:] = rows[0]
    filtered[1:, 1:] = rows[1:] - rows[:-1]        # uint8: modulo 256, as the filter is defined
    out = [b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", w.to_bytes(4, "big") + h.to_bytes(4, "big")
                                       + bytes((16, colour_type, 0, 0, 0)))]
    if icc_profile:
        out.append(_chunk(b"iCCP", b"ICC Profile\0\0" + zlib.compress(icc_profile)))
    out += [_chunk(b"IDAT", zlib.compress(filtered.tobytes(), SAVE_OPTIONS["PNG"]["compress_level"])),
            _chunk(b"IEND", b"")]
    return b"".join(out)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return len(payload).to_bytes(4, "big") + kind + payload + zlib.crc32(kind + payload).to_bytes(4, "big")
