"""One file of a batch, photo or video: the callable that ``batch.run`` (threads) and the Ray
actors (``cluster``) call for each task. Models are loaded on first use (a batch of photos never
loads the video model) and called one at a time (``batch.SerialModel``, one lock for both)."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .onnx_model import OnnxModel
from ..settings import Settings
from . import batch, inputs, video


@dataclass(frozen=True)
class WorkOptions:
    photo_model: Path
    video_model: Path
    settings: Settings
    overwrite: bool = False
    crf: int | None = None
    face_model: Path | None = None         # photos; needed when the settings hide faces
    video_face_model: Path | None = None   # videos; None: ``face_model``


class Work:
    def __init__(self, options: WorkOptions, on_frame: Callable[[dict], None] = lambda record: None,
                 loaded: dict[Path, OnnxModel] | None = None):
        """``loaded``: models already loaded (the CLI checks a --model once before the run)."""
        self.options = options
        self.on_frame = on_frame
        self.lock = threading.Lock()           # one model call at a time, whichever the model
        self.models = {path: batch.SerialModel(model, self.lock) for path, model in (loaded or {}).items()}
        self.loading = threading.Lock()
        self.stop = threading.Event()          # set by batch.run on Ctrl-C: videos stop at the next frame

    def model(self, path: Path) -> batch.SerialModel:
        with self.loading:
            if path not in self.models:
                self.models[path] = batch.SerialModel(OnnxModel(path, spin=False), self.lock)
            return self.models[path]

    def models_for(self, plate_model: Path, face_model: Path | None) -> dict[str, batch.SerialModel]:
        """kind -> model for what the settings hide."""
        chosen = {}
        if "plate" in self.options.settings.kinds:
            chosen["plate"] = self.model(plate_model)
        if "face" in self.options.settings.kinds:
            if face_model is None:
                raise ValueError("faces are to be hidden, and no face model was given")
            chosen["face"] = self.model(face_model)
        return chosen

    def __call__(self, task: batch.Task) -> dict:
        o = self.options
        if inputs.is_video(task.source):
            return video.anonymise_video(video.VideoTask(task.source, task.base, o.settings, o.overwrite, o.crf, self.stop),
                                         self.models_for(o.video_model, o.video_face_model or o.face_model),
                                         self.on_frame)
        return batch.anonymise(task, self.models_for(o.photo_model, o.face_model), o.settings, o.overwrite)
