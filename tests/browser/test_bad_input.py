"""Bad files get a clear message; the rest of the batch completes and the page stays usable."""
from __future__ import annotations

import struct
import subprocess
import zlib

import pytest
from PIL import Image, features

from tools.testkit import MEDIA, media


def write_png_header_only_huge(path, width: int, height: int) -> None:
    """A valid grey PNG of width x height, streamed so it costs little memory."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x80" * width
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", body) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    (folder / "notes.jpg").write_text("this is a text file, not a photo\n")
    jpeg = (MEDIA / "street-07.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 3])
    (folder / "empty.png").write_bytes(b"")
    write_png_header_only_huge(folder / "huge.png", 20000, 20000)
    return folder


EXPECTED = {
    "notes.jpg": "not an image",
    "truncated.jpg": "truncated or corrupt",
    "empty.png": "empty",
    "huge.png": "too large",
}


def test_bad_files_get_clear_messages_and_the_batch_completes(app, bad_files):
    batch = [MEDIA / "dashcam-03.png", *(bad_files / n for n in EXPECTED), MEDIA / "street-07.jpg"]
    app.upload(batch)
    for name, message in EXPECTED.items():
        result = app.result(name)
        assert result.get_attribute("data-state") == "error"
        status = result.locator(".status").text_content()
        assert message in status, f"{name}: {status!r}"
        assert result.locator("a[download]").is_hidden()
    for name in ("dashcam-03.png", "street-07.jpg"):
        assert app.result(name).get_attribute("data-state") == "done"
    assert "2 of 6 done, 4 failed" in app.page.text_content("#batch-status")


PHOTO_FORMAT = "Not processed: not an image, or not a JPEG, PNG or WebP file"


def heif_like(brand: bytes, compatible: list[bytes]) -> bytes:
    """An ISO BMFF file of a HEIF-family photo as far as its first box tells (`ftyp` with ``brand``),
    then a `meta` box; a page that reads the brands knows it is a photo without decoding it."""
    ftyp = b"ftyp" + brand + b"\0\0\0\0" + b"".join(compatible)
    meta = b"meta" + b"\0" * 24
    return struct.pack(">I", 4 + len(ftyp)) + ftyp + struct.pack(">I", 4 + len(meta)) + meta


def test_heic_and_avif_photos_named_jpg_get_the_photo_format_message(app, tmp_path):
    files = {"iphone.jpg": heif_like(b"heic", [b"mif1", b"heic"]),
             "canon.jpg": heif_like(b"mif1", [b"mif1", b"heic"])}
    if features.check("avif"):                     # a real AVIF, where this Pillow writes them
        avif = tmp_path / "real.avif"
        with Image.open(MEDIA / "street-07.jpg") as img:
            img.save(avif, "AVIF")
        files["camera.jpg"] = avif.read_bytes()
    else:
        files["camera.jpg"] = heif_like(b"avif", [b"avif", b"mif1", b"miaf"])
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    app.upload([tmp_path / name for name in files])
    for name in files:
        result = app.result(name)
        assert "video" not in result.get_attribute("class"), f"{name} went to the video path"
        assert result.locator(".status").text_content() == PHOTO_FORMAT, name


def test_page_stays_usable_after_bad_input(app, bad_files):
    app.upload([MEDIA / "openimages-08.jpg"])
    assert app.result("openimages-08.jpg").get_attribute("data-state") == "done"
    app.result("notes.jpg").locator("button.remove").click()
    assert app.page.locator(".result", has_text="notes.jpg").count() == 0
    assert not app.errors, app.errors


def test_sound_files_and_a_cut_video_say_what_is_wrong(app, tmp_path):
    """An MP3 (sent to the photo path) has no picture; an MP4 whose index (moov, at the end when
    written without faststart) was cut off is damaged, not a file without a video track."""
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", str(tmp_path / "song.mp3")],
                   check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(media.media_path("pan.mp4")), "-c", "copy", "-t", "2",
                    str(tmp_path / "whole.mp4")], check=True)
    whole = (tmp_path / "whole.mp4").read_bytes()
    assert whole.find(b"moov") > len(whole) // 2
    (tmp_path / "cut.mp4").write_bytes(whole[: len(whole) // 3])
    expected = {"song.mp3": "Not processed: the file is audio only: it has no picture",
                "cut.mp4": "Not processed: the video file is damaged or incomplete"}
    app.upload([tmp_path / name for name in expected])
    for name, message in expected.items():
        result = app.result(name)
        assert result.get_attribute("data-state") == "error", name
        assert result.locator(".status").text_content() == message, name
    assert not app.errors, app.errors
