"""Ultralytics checkpoint -> the ONNX the app loads, and int8 variants of an ONNX.

Needs the training environment (.venv-train, tools/setup-train): ultralytics and torch for the export,
onnx for quantisation. Imported lazily, so evaluation of .onnx files never needs them."""
from __future__ import annotations

import contextlib
import logging
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

OPSET = 17


class UltralyticsMissing(RuntimeError):
    pass


def export_onnx(weights: Path, out: Path, imgsz: int = 640, opset: int = OPSET, simplify: bool = True,
                dynamic: bool = False) -> Path:
    """Exports ``weights`` (.pt) to ``out``: input ``images`` float32 [1, 3, imgsz, imgsz] (fixed), or with
    ``dynamic`` [batch, 3, height, width] (any multiple of 32: the app runs it at each frame's aspect),
    output [1, 5, N] raw (cx, cy, w, h, score), no NMS in the graph, as the app expects."""
    try:
        from ultralytics import YOLO
    except ImportError:
        raise UltralyticsMissing(
            "a .pt checkpoint needs ultralytics to be exported to ONNX; run this with .venv-train/bin/python "
            "(create it with tools/setup-train), or export it first with tools/eval/train.py --export-only") from None
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="plateblur-export-") as tmp, _logs_to_stderr():
        local = Path(tmp) / Path(weights).name          # Ultralytics writes next to the weights
        shutil.copyfile(weights, local)
        exported = YOLO(str(local)).export(format="onnx", imgsz=imgsz, opset=opset, dynamic=dynamic,
                                           simplify=simplify, nms=False, batch=1, device="cpu")
        shutil.move(str(exported), out)
    return out


@contextlib.contextmanager
def _logs_to_stderr():
    """Ultralytics logs to stdout; keep stdout for our own tables and JSON."""
    from ultralytics.utils import LOGGER

    moved = [h for h in LOGGER.handlers if isinstance(h, logging.StreamHandler) and h.stream is sys.stdout]
    for h in moved:
        h.setStream(sys.stderr)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        for h in moved:
            h.setStream(sys.stdout)


def calibration_tensors(images: list[Path], input_wh: tuple[int, int], dynamic: bool = False):
    """Letterboxed model inputs, made by the app's own preprocessing (for a model with dynamic input,
    each at its photo's aspect, as the app runs it)."""
    from plateblur.imageio import decode_photo
    from plateblur.preprocess import input_for, letterbox

    for path in images:
        rgb = decode_photo(path.read_bytes()).rgb
        yield letterbox(rgb, input_for(rgb.shape[1::-1], input_wh, dynamic))[0]


def quantize_int8(src: Path, out: Path, method: str = "static", calibration: list[Path] = (),
                  keep_float=None) -> Path:
    """int8 weights. ``dynamic``: weights only (ConvInteger), no calibration. ``static``: QDQ with
    per-channel weights and activations calibrated on ``calibration`` photos; the last stage of the
    head stays float: ``keep_float(graph nodes) -> names`` (default: the plate detector's box decoding
    and score sigmoid, /model.22/ past its convolutions)."""
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="plateblur-quant-") as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(src), str(prepared), skip_symbolic_shape=True)
        if method == "dynamic":
            quantize_dynamic(str(prepared), str(out), weight_type=QuantType.QInt8, per_channel=True)
            return out
        if method != "static":
            raise ValueError(f"int8 method must be dynamic or static, not {method!r}")
        model = onnx.load(str(prepared))
        dims = model.graph.input[0].type.tensor_type.shape.dim
        input_name = model.graph.input[0].name
        dynamic = not (dims[2].dim_value and dims[3].dim_value)
        input_wh = (640, 640) if dynamic else (dims[3].dim_value, dims[2].dim_value)
        head_tail = keep_float(model.graph.node) if keep_float else [
            n.name for n in model.graph.node
            if n.name.startswith("/model.22/") and n.op_type != "Conv" and "/cv" not in n.name]

        class Reader(CalibrationDataReader):
            def __init__(self):
                self.it = iter(calibration_tensors(list(calibration), input_wh, dynamic))

            def get_next(self):
                tensor = next(self.it, None)
                return None if tensor is None else {input_name: np.ascontiguousarray(tensor)}

        quantize_static(str(prepared), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        nodes_to_exclude=head_tail)
    return out
