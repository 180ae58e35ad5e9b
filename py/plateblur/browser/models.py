"""The page's detectors: the photo model, the stream model (video, camera) loaded when first needed
(on WASM; on WebGPU the photo model serves streams too), and the face model, loaded at start since faces are
hidden by default, for photos and streams alike: on WASM the float face model runs faster than its int8 copy
(243 against 275 ms at 640x384, tools.bench.models), which only the CLI uses."""
from __future__ import annotations

import numpy as np

from ..settings import FACE_MODEL_FILE, MODEL_FILE, STREAM_MODEL_FILE
from .bridge import fetch_bytes, report
from .errors import FaceModelError
from .ort_model import OrtModel


class Models:
    def __init__(self, site_url: str, threads: int, photo_file: str = MODEL_FILE,
                 stream_file: str = STREAM_MODEL_FILE, face_file: str = FACE_MODEL_FILE) -> None:
        self.site_url, self.threads = site_url, threads
        self.photo_file, self.stream_file, self.face_file = photo_file, stream_file, face_file
        self._photo: OrtModel | None = None
        self._stream: OrtModel | None = None
        self._face: OrtModel | None = None

    async def photo(self) -> OrtModel:
        if self._photo is None:
            self._photo = await self._load(self.photo_file, "photo-model")
        return self._photo

    async def stream(self) -> OrtModel:
        """The video and camera model: the int8 file on WASM (half the float's time there). On WebGPU the
        photo model (float) serves streams too: int8's quantize/dequantize pairs make it the slower file
        on a GPU (software adapter here: 15.8 s against 13.9 s at 640x384), and no second model compiles."""
        photo = await self.photo()
        if self.stream_file == self.photo_file or photo.backend == "webgpu":
            return photo
        if self._stream is None:
            self._stream = await self._load(self.stream_file, "stream-model")
        return self._stream

    async def face(self) -> OrtModel:
        """The face model; a failure to fetch or compile it is a FaceModelError (tried again next time)."""
        if self._face is None:
            try:
                self._face = await self._load(self.face_file, "face-model")
            except Exception as exc:  # noqa: BLE001 - any failure: faces cannot be hidden, say so
                raise FaceModelError(exc) from exc
        return self._face

    async def detectors(self, kinds, stream: bool = False) -> dict[str, OrtModel]:
        """kind -> model for each of ``kinds`` ("plate", "face": ``pipeline.Models``); ``stream``: the
        plates' stream model (video, camera)."""
        models = {}
        if "plate" in kinds:
            models["plate"] = await (self.stream() if stream else self.photo())
        if "face" in kinds:
            models["face"] = await self.face()
        return models

    def loaded(self) -> list[OrtModel]:
        """The models loaded so far."""
        return [m for m in {id(m): m for m in (self._photo, self._stream, self._face) if m is not None}.values()]

    async def _load(self, model_file: str, kind: str) -> OrtModel:
        model_bytes = await fetch_bytes(self.site_url + model_file, f"download-{kind}")
        report(f"compile-{kind}")
        model = await OrtModel.create(model_bytes, self.site_url + "vendor/ort/", self.threads, kind=kind)
        # The first run allocates (and on WebGPU compiles); keep it out of timings. A model with dynamic
        # input warms up on a strip (a quarter of the square's work: slow software WebGPU adapters).
        w, h = model.input_wh
        await model(np.zeros((1, 3, h // 4 if model.dynamic else h, w), np.float32))
        return model
