import io

import numpy as np
import pytest
from PIL import Image

from tests.support.helpers import corrupt_gps_exif, encode_image, jpeg_with_orientation, noise_frame
from tools.testkit import MEDIA
from plateblur.imageio import MAX_PIXELS, ImageError, Photo, decode_photo, encode_photo

NO_REGIONS = np.zeros((0, 4), np.int32)


@pytest.fixture(scope="session")
def huge_png(tmp_path_factory) -> bytes:
    """A valid 20000 x 20000 PNG (400 MP): one colour, 1 bit per pixel, so it is a few hundred KB."""
    path = tmp_path_factory.mktemp("huge") / "huge.png"
    Image.new("1", (20000, 20000), 1).save(path, format="PNG", compress_level=1)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert int.from_bytes(data[16:20], "big") == int.from_bytes(data[20:24], "big") == 20000
    return data


def _rgb_bytes(fmt, w=24, h=16, **save):
    return encode_image(noise_frame(w, h, seed=11), fmt, **save)


@pytest.mark.parametrize(
    ("data", "fmt", "shape"),
    [
        (_rgb_bytes("PNG"), "PNG", (16, 24, 3)),
        (_rgb_bytes("JPEG"), "JPEG", (16, 24, 3)),
        (_rgb_bytes("WEBP"), "WEBP", (16, 24, 3)),
        (encode_image(np.zeros((5, 7), np.uint8), "PNG"), "PNG", (5, 7, 3)),           # greyscale
        (encode_image(np.zeros((1, 1, 3), np.uint8), "PNG"), "PNG", (1, 1, 3)),
        (encode_image(np.zeros((100, 10000, 3), np.uint8), "PNG"), "PNG", (100, 10000, 3)),
    ],
    ids=["png", "jpeg", "webp", "grey-png", "1x1-png", "10000x100-png"],
)
def test_decode_formats(data, fmt, shape):
    photo = decode_photo(data)
    assert photo.format == fmt
    assert photo.rgb.shape == shape and photo.rgb.dtype == np.uint8
    assert photo.rgb.flags["C_CONTIGUOUS"]
    assert photo.alpha is None


def test_decode_goes_by_content_not_by_name(tmp_path):
    pixels = noise_frame(20, 10, seed=12)
    path = tmp_path / "really-a-png.jpg"
    Image.fromarray(pixels).save(path, format="PNG")
    photo = decode_photo(path.read_bytes())
    assert photo.format == "PNG"
    assert (photo.mime, photo.extension) == ("image/png", ".png")
    np.testing.assert_array_equal(photo.rgb, pixels)


@pytest.mark.parametrize(
    ("orientation", "red_corner"),
    [
        (1, "top-left"),
        (3, "bottom-right"),           # rotated 180
        (6, "top-right"),              # shown rotated 90 degrees clockwise
        (8, "bottom-left"),            # shown rotated 90 degrees anticlockwise
    ],
)
def test_decode_applies_exif_orientation(orientation, red_corner):
    data, _ = jpeg_with_orientation(48, 24, orientation)
    photo = decode_photo(data)
    h, w = photo.rgb.shape[:2]
    assert (w, h) == ((24, 48) if orientation in (6, 8) else (48, 24))
    corners = {"top-left": photo.rgb[1, 1], "top-right": photo.rgb[1, w - 2],
               "bottom-left": photo.rgb[h - 2, 1], "bottom-right": photo.rgb[h - 2, w - 2]}
    for name, px in corners.items():
        is_red = px[0] > 200 and px[1] < 60 and px[2] < 60
        assert is_red == (name == red_corner), (name, px.tolist())


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_encode_strips_metadata(fmt):
    pixels = noise_frame(32, 16, seed=13)
    img = Image.fromarray(pixels)
    exif = img.getexif()
    exif[0x0112] = 1
    exif[0x010F] = "plateblur-test-camera"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}
    src = io.BytesIO()
    img.save(src, format=fmt, exif=exif)
    assert Image.open(io.BytesIO(src.getvalue())).getexif(), "the source must carry EXIF"
    photo = decode_photo(src.getvalue())
    out = encode_photo(photo, photo.rgb, NO_REGIONS)
    reopened = Image.open(io.BytesIO(out))
    assert reopened.format == fmt
    assert len(reopened.getexif()) == 0
    assert "exif" not in reopened.info
    assert b"plateblur-test-camera" not in out


def test_encode_after_orientation_writes_upright_pixels_without_exif():
    data, _ = jpeg_with_orientation(48, 24, 6)
    photo = decode_photo(data)
    reopened = Image.open(io.BytesIO(encode_photo(photo, photo.rgb, NO_REGIONS)))
    assert reopened.size == (24, 48)
    assert 0x0112 not in reopened.getexif()
    assert decode_photo(encode_photo(photo, photo.rgb, NO_REGIONS)).rgb.shape == (48, 24, 3)


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_corrupt_gps_exif_keeps_the_pixels_and_applies_the_orientation(orientation):
    """Pillow's exif_transpose re-writes the EXIF block and raises a TypeError on this one."""
    stored = noise_frame(40, 24, seed=orientation)
    photo = decode_photo(encode_image(stored, "PNG", exif=corrupt_gps_exif(orientation)))
    upright = {1: stored, 3: np.rot90(stored, 2), 6: np.rot90(stored, -1), 8: np.rot90(stored, 1)}[orientation]
    np.testing.assert_array_equal(photo.rgb, upright)
    assert Image.open(io.BytesIO(encode_photo(photo, photo.rgb, NO_REGIONS))).getexif() == {}


def test_png_round_trip_is_lossless_with_alpha():
    rgba = noise_frame(31, 17, seed=14, channels=4)
    photo = decode_photo(encode_image(rgba, "PNG"))
    assert photo.alpha is not None
    np.testing.assert_array_equal(photo.rgb, rgba[..., :3])
    np.testing.assert_array_equal(photo.alpha, rgba[..., 3])
    again = decode_photo(encode_photo(photo, photo.rgb, NO_REGIONS))
    assert again.format == "PNG"
    np.testing.assert_array_equal(again.rgb, rgba[..., :3])
    np.testing.assert_array_equal(again.alpha, rgba[..., 3])


def test_png_round_trip_is_lossless_without_alpha():
    rgb = noise_frame(31, 17, seed=15)
    photo = decode_photo(encode_image(rgb, "PNG"))
    out = encode_photo(photo, photo.rgb, NO_REGIONS)
    assert Image.open(io.BytesIO(out)).mode == "RGB"
    np.testing.assert_array_equal(decode_photo(out).rgb, rgb)


def test_encode_writes_the_given_pixels_not_the_original():
    photo = decode_photo(encode_image(noise_frame(10, 10, seed=16, channels=4), "PNG"))
    changed = photo.rgb.copy()
    changed[2:5, 2:5] = 0
    again = decode_photo(encode_photo(photo, changed, NO_REGIONS))
    np.testing.assert_array_equal(again.rgb, changed)


def test_palette_png_with_transparency_keeps_it():
    img = Image.new("P", (8, 8), 0)
    img.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    img.paste(1, (0, 0, 4, 8))
    out = io.BytesIO()
    img.save(out, format="PNG", transparency=0)
    photo = decode_photo(out.getvalue())
    assert photo.alpha is not None
    assert (photo.alpha[:, :4] == 255).all() and (photo.alpha[:, 4:] == 0).all()
    assert (photo.rgb[:, :4] == [0, 255, 0]).all()


def test_sixteen_bit_greyscale_png_keeps_its_tones():
    """A 16-bit greyscale PNG's 8-bit view (what is detected on) is scaled, not clipped to white."""
    grey16 = (np.arange(256, dtype=np.uint16) * 257).reshape(16, 16)     # 0 .. 65535
    photo = decode_photo(encode_image(grey16, "PNG"))
    np.testing.assert_allclose(photo.rgb[..., 0].astype(int), (grey16 >> 8).astype(int), atol=1)


def test_camera_jpeg_with_a_second_picture_decodes_as_jpeg():
    """Many phones and cameras write JPEGs with an MPF second image (a preview or depth map), which
    Pillow calls MPO. They are JPEGs to every browser and viewer: the primary picture is the photo."""
    primary = Image.fromarray(noise_frame(40, 30, seed=18))
    out = io.BytesIO()
    primary.save(out, format="MPO", save_all=True, append_images=[Image.new("RGB", (20, 15), "blue")])
    data = out.getvalue()
    assert data[:2] == b"\xff\xd8"                                      # a JPEG stream
    photo = decode_photo(data)
    assert photo.format == "JPEG" and photo.extension == ".jpg"
    assert photo.rgb.shape == (30, 40, 3)
    assert Image.open(io.BytesIO(encode_photo(photo, photo.rgb, NO_REGIONS))).format == "JPEG"


def test_icc_profile_is_kept():
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = _rgb_bytes("JPEG", icc_profile=icc)
    photo = decode_photo(data)
    assert photo.icc_profile == icc
    assert Image.open(io.BytesIO(encode_photo(photo, photo.rgb, NO_REGIONS))).info.get("icc_profile") == icc


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (8, 8), c) for c in ("red", "blue", "green")]
    out = io.BytesIO()
    frames[0].save(out, format=fmt, save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def _truncated_jpeg() -> bytes:
    data = encode_image(noise_frame(64, 64, seed=17), "JPEG")
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"", "empty"),
        (lambda: b"Licence plates are not pictures.\n" * 20, "not an image"),
        (lambda: b"\x89PNG\r\n\x1a\n", "truncated or corrupt|not an image"),          # a signature only
        (_truncated_jpeg, "truncated or corrupt"),
        (lambda: _animated("PNG"), "animated"),
        (lambda: _animated("WEBP"), "animated"),
        (lambda: _animated("GIF"), "GIF images are not supported"),
        (lambda: encode_image(noise_frame(8, 8), "BMP"), "BMP images are not supported"),
        (lambda: encode_image(noise_frame(8, 8), "TIFF"), "TIFF images are not supported"),
    ],
    ids=["empty", "text", "png-signature-only", "truncated-jpeg", "animated-png", "animated-webp", "gif", "bmp",
         "tiff"],
)
def test_decode_refuses_with_a_clear_message(make, message):
    with pytest.raises(ImageError, match=message) as info:
        decode_photo(make())
    assert isinstance(info.value, ValueError)          # callers may catch either


AUDIO_HEADS = {
    "mp3-id3": b"ID3\x04\x00\x00\x00\x00\x00\x23TSSE",
    "mp3-frame": b"\xff\xfb\x90\x64",
    "aac-adts": b"\xff\xf1\x50\x80",
    "wav": b"RIFF\x24\x08\x00\x00WAVEfmt ",
    "flac": b"fLaC\x00\x00\x00\x22",
    "m4a": b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00M4A isom",
}


@pytest.mark.parametrize("head", AUDIO_HEADS.values(), ids=AUDIO_HEADS)
def test_a_sound_file_is_told_to_have_no_picture(head):
    with pytest.raises(ImageError) as info:
        decode_photo(head + bytes(600))
    assert str(info.value) == "the file is audio only: it has no picture"
    assert info.value.code == "image.audio_only"


def test_decode_refuses_a_20000_x_20000_png(huge_png):
    with pytest.raises(ImageError, match="too large"):
        decode_photo(huge_png)


def test_decode_refuses_just_over_the_pixel_limit(tmp_path):
    w = 10000
    h = MAX_PIXELS // w + 1
    path = tmp_path / "big.png"
    Image.new("1", (w, h), 0).save(path, format="PNG", compress_level=1)
    with pytest.raises(ImageError, match=rf"too large \({w}x{h}"):
        decode_photo(path.read_bytes())


def test_photo_properties():
    photo = Photo(np.zeros((1, 1, 3), np.uint8), None, "WEBP")
    assert (photo.mime, photo.extension) == ("image/webp", ".webp")


@pytest.mark.parametrize("name", ["dashcam-01.png", "street-05.jpg", "noplate-10.jpg"])
def test_decode_samples(name):
    data = (MEDIA / name).read_bytes()
    photo = decode_photo(data)
    with Image.open(io.BytesIO(data)) as img:
        assert photo.rgb.shape[:2] == img.size[::-1]
    assert photo.format == ("PNG" if name.endswith(".png") else "JPEG")


def test_rgb_from_rgba_drops_alpha_and_keeps_layout():
    from plateblur.imageio import rgb_from_rgba

    rgba = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    rgb = rgb_from_rgba(rgba.tobytes(), 3, 2)
    assert rgb.shape == (2, 3, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb, rgba[:, :, :3])
