"""Photos as bytes <-> pixels with Pillow, in CPython and in Pyodide alike.

Decoding goes by content, applies the EXIF orientation (and drops the rest of the metadata, which
may be corrupt) and refuses what it cannot handle with an ImageError meant for the user (a code and its
params for the page, the English text for the CLI: usererror.py). Encoding writes from pixels only, so no EXIF, XMP
or GPS metadata survives (the ICC colour profile is kept)."""
from __future__ import annotations

import io
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
SAVE_OPTIONS = {
    "JPEG": {"quality": 95, "subsampling": 0},
    "PNG": {"compress_level": 1},
    "WEBP": {"quality": 95},
}


class ImageError(UserError, ValueError):
    """The input cannot be anonymised; the message says why, for the user."""


@dataclass
class Photo:
    """Decoded photo: ``rgb`` H x W x 3 uint8 (orientation applied), ``alpha`` H x W uint8 or None."""

    rgb: np.ndarray
    alpha: np.ndarray | None
    format: str
    icc_profile: bytes | None = None

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
            img = _apply_exif_orientation(img)
            if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):   # 16-bit grey: keep the tones
                img = Image.fromarray((np.asarray(img, dtype=np.uint32) >> 8).astype(np.uint8))
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
        raise ImageError("not an image, or not a JPEG, PNG or WebP file", code="image.not_an_image") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError("the image data is truncated or corrupt ({reason})", code="image.corrupt",
                         reason=str(exc)) from exc
    return Photo(np.ascontiguousarray(rgb), alpha, fmt, icc)


def _apply_exif_orientation(img: Image.Image) -> Image.Image:
    """The photo turned as its EXIF orientation says. Unlike ImageOps.exif_transpose this never
    re-serialises the EXIF block, so a corrupt one (a bad GPS block, say) cannot stop the photo."""
    try:
        orientation = img.getexif().get(ORIENTATION_TAG, 1)
    except Exception:   # unreadable EXIF: the pixels as stored are what is detected on and written
        orientation = 1
    method = TRANSPOSE_FOR_ORIENTATION.get(orientation) if isinstance(orientation, int) else None
    return img.transpose(method) if method is not None else img


def rgb_from_rgba(data: bytes, width: int, height: int) -> np.ndarray:
    """H x W x 3 uint8 from RGBA bytes (a canvas's pixels); Pillow's conversion is about 8 times
    faster in Pyodide than numpy's strided copy."""
    return np.asarray(Image.frombuffer("RGBA", (width, height), data, "raw", "RGBA", 0, 1).convert("RGB"))


def encode_photo(photo: Photo, rgb: np.ndarray) -> bytes:
    """Encode ``rgb`` (the anonymised pixels) in the photo's own format, with its alpha."""
    img = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    if photo.alpha is not None:
        img.putalpha(Image.fromarray(photo.alpha))
    options = dict(SAVE_OPTIONS[photo.format])
    if photo.icc_profile:
        options["icc_profile"] = photo.icc_profile
    out = io.BytesIO()
    img.save(out, format=photo.format, **options)
    return out.getvalue()
