"""Fine-tune the plate detector (Ultralytics YOLOv8n) on ../shared/data/plates and export the ONNX
the app loads. Runs in .venv-train (tools/setup-train), on CPU or on a GPU.

    # a short fine-tune from the shipped weights, exported at 640 (and 480, 416, int8)
    .venv-train/bin/python -m tools.eval.train --epochs 20 --device 0 --batch 64 --export-imgsz 640 480 416 --int8 static
    # CPU smoke run: 1 epoch on 5 % of the training photos at 320 px
    .venv-train/bin/python -m tools.eval.train --name smoke --epochs 1 --fraction 0.05 --imgsz 320 --batch 8 --export-imgsz 320
    # no training: export existing weights at other input sizes
    .venv-train/bin/python -m tools.eval.train --export-only --weights ../shared/models/plates-ref-v2.pt --export-imgsz 640 480 416 --int8 static

Rules it keeps: the val split is never used, not even for Ultralytics' per-epoch validation and choice of
best.pt: a seeded --holdout share of the train split is set aside for that, so val stays a clean test
set for tools/eval/evaluate.py. Every setting, the versions, the data lists and the start weights' hash are
written to <run>/settings.json before training starts; results are added when it ends.

Extra training photos (tools/eval/augment.py) join the training list with --extra; copies of a photo that
was set aside as holdout are left out, so the holdout stays unseen. --resume goes on from the run's
last.pt after an interruption (same run name). --time caps the training in hours (Ultralytics then fits
the epochs and the learning-rate schedule into it)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

from tools import REPO_ROOT, SHARED

from .augment import parse_copy
from .data import DEFAULT_DATA, IMAGE_SUFFIXES
from .inference import file_sha256

DEFAULT_WEIGHTS = SHARED / "models" / "plates-ref-v2.pt"
BUILD = REPO_ROOT / "build"


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain"], capture_output=True, text=True)
        return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "") if out.returncode == 0 else None
    except OSError:
        return None


def write_data_yaml(data: Path, run_dir: Path, holdout: float, seed: int, extra: Path | None = None,
                    background: Path | None = None, fraction: float = 1.0) -> dict:
    """Lists of absolute image paths: train = the train split less a seeded ``holdout`` share, which
    becomes Ultralytics' validation set, plus the ``extra`` photos (augment.py's list.txt) not made from a
    holdout photo, plus the plate-free ``background`` crops (background.py's list.txt) not cut from a
    holdout photo. With ``fraction`` < 1 each of the three lists is a seeded random share of itself
    (Ultralytics' own fraction takes the first files, and the names sort by source). Ultralytics finds
    each label by the images -> labels rule, so the lists point at the original files; a crop has none,
    which makes it a background photo. Returns what was written, for settings.json."""
    train_images = sorted(p for p in (data / "images" / "train").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not train_images:
        raise SystemExit(f"train: no images in {data / 'images' / 'train'}")
    shuffled = train_images[:]
    random.Random(seed).shuffle(shuffled)
    n_hold = max(1, round(len(shuffled) * holdout))
    hold, train = sorted(shuffled[:n_hold]), sorted(shuffled[n_hold:])
    held = {p.stem for p in hold}
    extras, crops, screen = [], [], None
    if extra:
        listed = [Path(line) for line in (extra / "list.txt").read_text().split()]
        extras = [p for p in listed if parse_copy(p)[1] not in held]
    if background:
        if not (background / "list.txt").is_file() or not (background / "manifest.json").is_file():
            raise SystemExit(f"train: {background} has no list.txt and manifest.json: cut crops with "
                             "tools/eval/make_negatives.py --split train, then screen them with tools/eval/background.py")
        cut_from = {c["file"]: Path(c["from"]).stem
                    for c in json.loads((background / "manifest.json").read_text())["crops"]}
        listed = [Path(line) for line in (background / "list.txt").read_text().split()]
        crops = [p for p in listed if cut_from[p.name] not in held]
        if (background / "screen.json").is_file():
            record = json.loads((background / "screen.json").read_text())
            screen = {k: record[k] for k in ("model", "below", "kept", "dropped")}
    if fraction < 1:
        train, extras, crops = (sorted(random.Random(seed).sample(ps, round(len(ps) * fraction)))
                                for ps in (train, extras, crops))
    train = train + extras + crops
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "train.txt").write_text("".join(f"{p}\n" for p in train))
    (run_dir / "holdout.txt").write_text("".join(f"{p}\n" for p in hold))
    yaml = run_dir / "data.yaml"
    yaml.write_text(f"# written by tools/eval/train.py from {data / 'data.yaml'}; the val split is not used\n"
                    f"path: {run_dir}\ntrain: {run_dir / 'train.txt'}\nval: {run_dir / 'holdout.txt'}\n"
                    f"names:\n  0: plate\n")
    kinds: dict[str, int] = {}
    for p in extras:
        kind = parse_copy(p)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return {"yaml": str(yaml), "root": str(data), "train_photos": len(train), "extra_photos": len(extras),
            "extra_kinds": dict(sorted(kinds.items())),
            "extra": str(extra) if extra else None, "background_photos": len(crops),
            "background": str(background) if background else None, "background_screen": screen, "fraction": fraction,
            "holdout_photos": len(hold),
            "holdout_share": holdout, "val_split_used": False}


def export_all(weights: Path, out_dir: Path, stem: str, sizes: list[int], int8: str | None,
               calibration: int, seed: int, data: Path, dynamic: bool = False) -> list[dict]:
    """ONNX at each size (opset 17, fixed input; with ``dynamic`` one file, any height and width, named
    <stem>-dynamic.onnx), then int8 of the first; each checked with the app's OnnxModel on a blank input
    (and a dynamic one also on a 16:9 one). Returns a record per file."""
    import numpy as np
    from .export import OPSET, export_onnx, quantize_int8
    from plateblur.cpython.onnx_model import OnnxModel

    records = []
    files = []
    for size in sizes[:1] if dynamic else sizes:
        out = out_dir / f"{stem}-{'dynamic' if dynamic else size}.onnx"
        export_onnx(weights, out, size, dynamic=dynamic)
        files.append((out, size, None))
    if int8:
        src = files[0][0]
        train_images = sorted(p for p in (data / "images" / "train").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        calib = sorted(random.Random(seed).sample(train_images, min(calibration, len(train_images))))
        out = out_dir / f"{stem}-{'dynamic' if dynamic else files[0][1]}-int8.onnx"
        quantize_int8(src, out, int8, calib)
        files.append((out, files[0][1], int8))
    for path, size, quant in files:
        model = OnnxModel(path)
        output = model(np.zeros((1, 3, model.input_wh[1], model.input_wh[0]), np.float32))
        if output.shape[:2] != (1, 5):
            raise SystemExit(f"train: {path} gives output {output.shape}, expected (1, 5, N)")
        if model.dynamic and model(np.zeros((1, 3, 384, 640), np.float32)).shape != (1, 5, 5040):
            raise SystemExit(f"train: {path} does not run at 640x384")
        records.append({"file": str(path), "imgsz": size, "dynamic": model.dynamic, "opset": OPSET, "int8": quant, "sha256": file_sha256(path),
                        "bytes": path.stat().st_size, "output_shape": list(output.shape),
                        "from_weights": str(weights), "from_weights_sha256": file_sha256(weights)})
        print(f"train: exported {path} ({path.stat().st_size / 1e6:.1f} MB, output {tuple(output.shape)})")
    return records


def checkpoint_info(weights: Path) -> dict:
    """What an Ultralytics checkpoint says about its own training (date, version, args, metrics)."""
    import torch

    ckpt = torch.load(str(weights), map_location="cpu", weights_only=False)
    keep = ("model", "data", "epochs", "time", "batch", "imgsz", "device", "optimizer", "seed", "deterministic",
            "cos_lr", "close_mosaic", "lr0", "lrf", "warmup_epochs", "mosaic", "scale", "fliplr", "hsv_h", "hsv_s",
            "hsv_v", "translate", "erasing", "auto_augment", "cache", "fraction", "split")
    args = ckpt.get("train_args") or {}
    return {"date": ckpt.get("date"), "ultralytics": ckpt.get("version"), "license": ckpt.get("license"),
            "train_args": {k: args.get(k) for k in keep if k in args},
            "train_metrics": ckpt.get("train_metrics")}


def offline_shims() -> None:
    """Two things Ultralytics would fetch or need that a closed training machine lacks: the AMP check
    downloads a second model (AMP is standard for YOLOv8 on CUDA: keep it on, skip the check), and
    polars (a 54 MB wheel) is imported only to copy results.csv into the checkpoint (read it with csv)."""
    import csv

    from ultralytics.engine import trainer

    if os.environ.get("YOLO_OFFLINE") == "1":
        trainer.check_amp = lambda model: True
    try:
        import polars  # noqa: F401
    except ImportError:
        def read_results_csv(self):
            try:
                with open(self.csv, newline="") as f:
                    rows = list(csv.DictReader(f))
            except OSError:
                return {}
            return {k.strip(): [float(r[k]) for r in rows] for k in (rows[0] if rows else {})}
        trainer.BaseTrainer.read_results_csv = read_results_csv


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS, help="Ultralytics checkpoint to start from")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="YOLO dataset root (images/train, labels/train)")
    p.add_argument("--name", default=None, help="run name (default: a timestamp); the run goes to build/runs/<name>")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--time", type=float, default=None, help="training time cap in hours (overrides --epochs)")
    p.add_argument("--extra", type=Path, default=None,
                   help="folder made by tools/eval/augment.py: its list.txt joins the training photos")
    p.add_argument("--resume", action="store_true", help="go on from build/runs/<name>/weights/last.pt")
    p.add_argument("--deterministic", action=argparse.BooleanOptionalAction, default=True,
                   help="deterministic kernels (slower on a GPU)")
    p.add_argument("--imgsz", type=int, default=640, help="training input size")
    p.add_argument("--batch", type=int, default=16, help="batch size (64 suits one H100/H200)")
    p.add_argument("--device", default="cpu", help="'cpu', or a CUDA device such as 0")
    p.add_argument("--workers", type=int, default=2, help="data-loading processes")
    p.add_argument("--background", type=Path, default=None,
                   help="folder of plate-free crops screened by tools/eval/background.py: its list.txt joins the "
                        "training photos as background")
    p.add_argument("--fraction", type=float, default=1.0,
                   help="seeded random share of the training photos (and of --extra, --background) to use")
    p.add_argument("--holdout", type=float, default=0.05,
                   help="share of the train split set aside for Ultralytics' own validation")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--optimizer", default="SGD")
    p.add_argument("--lr0", type=float, default=0.002, help="initial learning rate (low: this is a fine-tune)")
    p.add_argument("--cos-lr", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--warmup-epochs", type=float, default=0.0)
    p.add_argument("--close-mosaic", type=int, default=4, help="last N epochs without mosaic")
    p.add_argument("--cache", default="false", choices=["false", "ram", "disk"], help="Ultralytics image cache")
    p.add_argument("--export-imgsz", type=int, nargs="*", default=[640],
                   help="export the result at these input sizes (none: no export)")
    p.add_argument("--dynamic", action="store_true",
                   help="export one ONNX with dynamic height and width (the app runs it at each frame's aspect)")
    p.add_argument("--int8", choices=["static", "dynamic"], default=None,
                   help="also write an int8 copy of the first export (static: calibrated on train photos)")
    p.add_argument("--calibration", type=int, default=200, help="train photos used to calibrate static int8")
    p.add_argument("--export-only", action="store_true", help="no training: export --weights")
    p.add_argument("--out", type=Path, default=None,
                   help="folder for the ONNX files (default: the run folder, or build/models with --export-only)")
    return p.parse_args(argv)


def versions() -> dict:
    import onnx
    import onnxruntime
    import torch
    import ultralytics
    return {"python": platform.python_version(), "torch": torch.__version__, "ultralytics": ultralytics.__version__,
            "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
            "cuda": torch.version.cuda if torch.cuda.is_available() else None,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def main(argv=None) -> int:
    a = parse_args(argv)
    if not 0 < a.fraction <= 1:
        raise SystemExit(f"train: --fraction must be more than 0 and at most 1, not {a.fraction:g}")
    os.environ.setdefault("YOLO_CONFIG_DIR", str(BUILD / "ultralytics"))   # not the user's home
    os.environ.setdefault("YOLO_OFFLINE", "1")
    if not a.weights.is_file():
        raise SystemExit(f"train: weights not found: {a.weights}")
    name = a.name or dt.datetime.now().strftime("%Y%m%d-%H%M%S")

    if a.export_only:
        out_dir = a.out or BUILD / "models"
        out_dir.mkdir(parents=True, exist_ok=True)
        records = export_all(a.weights, out_dir, a.weights.stem, a.export_imgsz, a.int8, a.calibration, a.seed, a.data,
                             a.dynamic)
        record = {"tool": "tools/eval/train.py --export-only", "args": {k: str(v) if isinstance(v, Path) else v
                                                                   for k, v in vars(a).items()},
                  "versions": versions(), "repo_commit": git_commit(), "exports": records,
                  "checkpoint": checkpoint_info(a.weights),
                  "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        (out_dir / f"{a.weights.stem}-export.json").write_text(json.dumps(record, indent=1) + "\n")
        return 0

    from ultralytics import YOLO
    offline_shims()

    run_dir = BUILD / "runs" / name
    if a.resume:
        return resume(run_dir, a)
    data = write_data_yaml(a.data, run_dir, a.holdout, a.seed, a.extra, a.background, a.fraction)
    settings = {"tool": "tools/eval/train.py", "run": str(run_dir), "repo_commit": git_commit(),
                "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(a).items()},
                "start_weights": {"path": str(a.weights), "sha256": file_sha256(a.weights)},
                "data": data, "versions": versions(), "host": platform.node()}
    train_args = dict(data=data["yaml"], epochs=a.epochs, imgsz=a.imgsz, batch=a.batch, device=a.device,
                      workers=a.workers, seed=a.seed, deterministic=a.deterministic,
                      optimizer=a.optimizer, lr0=a.lr0, cos_lr=a.cos_lr, warmup_epochs=a.warmup_epochs,
                      close_mosaic=a.close_mosaic, cache=False if a.cache == "false" else a.cache,
                      project=str(run_dir.parent), name=run_dir.name, exist_ok=True, plots=False, val=True,
                      patience=max(a.epochs, 100), **({"time": a.time} if a.time else {}))
    settings["ultralytics_train_args"] = train_args
    (run_dir / "settings.json").write_text(json.dumps(settings, indent=1) + "\n")
    print(f"train: run folder {run_dir}; settings in {run_dir / 'settings.json'}")

    started = time.time()
    model = YOLO(str(a.weights))
    model.train(**train_args)
    return finish(model, run_dir, settings, started, a)


def resume(run_dir: Path, a: argparse.Namespace) -> int:
    """Go on from the run's last checkpoint (its own arguments come with it) and finish as a new run would."""
    from ultralytics import YOLO

    last = run_dir / "weights" / "last.pt"
    if not last.is_file():
        raise SystemExit(f"train: nothing to resume: {last} does not exist")
    settings = json.loads((run_dir / "settings.json").read_text())
    settings.setdefault("resumed", []).append(dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    started = time.time()
    model = YOLO(str(last))
    model.train(resume=True)
    return finish(model, run_dir, settings, started, a)


def finish(model, run_dir: Path, settings: dict, started: float, a: argparse.Namespace) -> int:
    weights_dir = run_dir / "weights"
    best = weights_dir / "best.pt" if (weights_dir / "best.pt").is_file() else weights_dir / "last.pt"
    settings["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    settings["train_seconds"] = round(time.time() - started + settings.get("train_seconds", 0), 1)
    settings["result_weights"] = {"path": str(best), "sha256": file_sha256(best),
                                  "chosen_by": "best holdout fitness (Ultralytics best.pt), not val"}
    metrics = getattr(getattr(model, "trainer", None), "metrics", None)
    if metrics:
        settings["holdout_metrics"] = {k: round(float(v), 5) for k, v in metrics.items()}
    if a.export_imgsz:
        settings["exports"] = export_all(best, a.out or run_dir, "plates", a.export_imgsz, a.int8, a.calibration,
                                         a.seed, a.data, a.dynamic)
    (run_dir / "settings.json").write_text(json.dumps(settings, indent=1) + "\n")
    print(f"train: done in {settings['train_seconds']:.0f} s; weights {best}; "
          f"evaluate with: .venv/bin/python -m tools.eval.evaluate --model {run_dir}/plates-{(a.export_imgsz or [640])[0]}.onnx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
