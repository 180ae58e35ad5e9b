"""The page adapter's logic without a browser: error names and messages, the photo use case with a
fake detector, and that both sides of the worker protocol use only names protocol.json defines."""
from __future__ import annotations

import ast
import re

import pytest
from tests.support.helpers import BrightBoxModel, encode_image, make_frame
from tools.testkit import REPO_ROOT

from plateblur.browser.errors import NotReady, describe
from plateblur.browser.photos import Photos
from plateblur.frames import run_sync
from plateblur.browser.protocol import ERRORS, EXPORTS, PROTOCOL, STAGES
from plateblur.imageio import ImageError
from plateblur.settings import Settings

WEB = REPO_ROOT / "web"
BROWSER = REPO_ROOT / "py" / "plateblur" / "browser"


class JsException(Exception):
    """Pyodide's JsException as Python sees a JS error: with the error's name and message, and the
    detail code and params that port.js namedError() gives it."""

    def __init__(self, name, message, detail=None, params=None):
        super().__init__(f"{name}: {message}")
        self.name, self.message, self.detail, self.params = name, message, detail, params


def told(name, error, detail=None, params=None):
    return {"error_name": name, "error": error, "detail": detail, "params": params or {}}


@pytest.mark.parametrize("exc, expected", [
    (ImageError("not an image, or not a JPEG, PNG or WebP file", code="image.not_an_image"),
     told("ImageError", "not an image, or not a JPEG, PNG or WebP file", "image.not_an_image")),
    (ImageError("{format} images are not supported; use JPEG, PNG or WebP", code="image.unsupported_format",
                format="GIF"),
     told("ImageError", "GIF images are not supported; use JPEG, PNG or WebP", "image.unsupported_format",
          {"format": "GIF"})),
    (ImageError("no regions for {this}"), told("ImageError", "no regions for {this}")),   # no code: plain text
    (JsException("VideoError", "this browser cannot decode HEVC video; try H.264, VP8, VP9 or AV1",
                 "video.cannot_decode", {"codec": "HEVC"}),
     told("VideoError", "this browser cannot decode HEVC video; try H.264, VP8, VP9 or AV1", "video.cannot_decode",
          {"codec": "HEVC"})),
    (JsException("VideoDamaged", "the video is damaged or incomplete: only 3 of its 9 frames could be read",
                 "video.incomplete", {"frames": 3, "total": 9}),
     told("VideoDamaged", "the video is damaged or incomplete: only 3 of its 9 frames could be read",
          "video.incomplete", {"frames": 3, "total": 9})),
    (JsException("Cancelled", "Cancelled"), told("Cancelled", "cancelled")),
    (NotReady(), told("NotReady", "the detector is not loaded yet")),
    (MemoryError(), told("OutOfMemory", "not enough memory for this file; try a smaller one, or close other tabs")),
    (JsException("TypeError", "x is undefined"),
     told("InternalError", "internal error (TypeError: x is undefined)", "internal.exception",
          {"exception": "TypeError: x is undefined"})),
    (KeyError("p7"), told("InternalError", "internal error (KeyError: 'p7')", "internal.exception",
                          {"exception": "KeyError: 'p7'"})),
])
def test_errors_are_told_by_name_with_a_detail_code_and_an_english_message(exc, expected):
    assert describe(exc) == expected
    assert expected["error_name"] in ERRORS


def test_a_js_error_is_matched_by_its_name_not_its_text():
    """A message that merely mentions an error name is still an internal error."""
    assert describe(JsException("Error", "VideoError: looks like one"))["error_name"] == "InternalError"


class AsyncModel:
    def __init__(self):
        self.model, self.input_wh, self.dynamic, self.runs = BrightBoxModel(), (640, 640), False, 0

    async def __call__(self, tensor):
        self.runs += 1
        return self.model(tensor)


def photo_bytes() -> bytes:
    frame = make_frame(400, 300, 30)
    frame[150:170, 100:180] = 230
    return encode_image(frame, "PNG")


def test_a_photo_is_detected_once_and_rerendered_from_its_stored_detections():
    photos, model, passes = Photos(), AsyncModel(), []
    data = photo_bytes()
    result = run_sync(photos.process("a", data, Settings(), model, lambda i, n: passes.append((i, n))))
    assert result["ok"] and result["mime"] == "image/png" and len(result["regions"]) == 1
    assert passes == [(0, 1)] and result["timings"]["runs"] == 1
    assert {"decode", "preprocess", "run", "postprocess", "obscure", "encode"} <= set(result["timings"])
    again = photos.rerender("a", data, Settings(mode="fill", pad=0.5))
    assert model.runs == 1, "a re-render must not run the model"
    (x1, y1, x2, y2), = again["regions"]
    (px1, py1, px2, py2), = result["regions"]
    assert x1 < px1 and x2 > px2 and again["data"] != result["data"]


def test_the_pixel_cache_keeps_recent_photos_and_decodes_others_again():
    photos, model = Photos(cache_pixels=400 * 300), AsyncModel()
    for item in ("a", "b"):
        run_sync(photos.process(item, photo_bytes(), Settings(), model))
    assert list(photos.decoded) == ["b"] and set(photos.detections) == {"a", "b"}
    assert photos.rerender("a", photo_bytes(), Settings())["ok"]       # decoded again from its bytes
    photos.forget("a")
    with pytest.raises(KeyError):
        photos.rerender("a", photo_bytes(), Settings())


def test_the_worker_exports_exactly_the_protocols_functions():
    tree = ast.parse((BROWSER / "api.py").read_text())
    public = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
              and not n.name.startswith("_")}
    assert public == set(EXPORTS)


def js_sources() -> dict[str, str]:
    return {str(p.relative_to(REPO_ROOT)): p.read_text() for p in WEB.rglob("*.js")}


def test_every_port_message_and_error_name_used_in_js_is_in_the_protocol():
    used_types, used_errors = set(), set()
    for text in js_sources().values():
        used_types |= set(re.findall(r'type: "([a-z-]+)"', text)) | set(re.findall(r'\bon\("([a-z-]+)"', text))
        used_errors |= set(re.findall(r'namedError\("(\w+)"', text))
    used_types.discard("json")                      # `import ... with { type: "json" }`
    assert used_types and used_errors
    assert used_types <= set(PROTOCOL["port"]), used_types - set(PROTOCOL["port"])
    assert used_errors <= set(ERRORS)


def test_every_progress_stage_python_reports_is_in_the_protocol_and_shown_by_the_page():
    python = "".join(p.read_text() for p in BROWSER.glob("*.py"))
    reported = set(re.findall(r'report\("([a-z-]+)"', python))
    reported |= {f"{verb}-{kind}" for verb in ("download", "compile")
                 for kind in re.findall(r'_load\([^,]+, "([a-z-]+)"\)', python)}
    assert reported == set(STAGES)
    app = (WEB / "app.js").read_text()
    assert all(f'"{stage}"' in app for stage in STAGES)
