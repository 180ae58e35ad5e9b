"""Build the face evaluation set that ``tools.eval.faces`` reads (default ``../facedata``, i.e.
/work/facedata): ``images/``, ``faces.json`` ({"photo": [[x1, y1, x2, y2], ...]} in the stored image's
pixels), ``face_free.json`` (paths relative to ``../shared/data/plates``) and ``SOURCES.md``.

    PYTHONPATH=py .venv/bin/python -m tools.eval.facedata \\
        --mask-repo /work/.mirror/hittheant+475Project/repo --dlib-repo /work/.mirror/davisking+dlib/repo

Each repository is a git dir (bare clone; read at HEAD) or a checked-out folder. Sources:

- ``mask_<n>.png``: Kaggle "Face Mask Detection" (andrewmvd; stated CC0 1.0; the web photos' own
  copyright is undocumented), as copied into GitHub ``hittheant/475Project`` (``archive/``: 853 PNGs,
  one VOC XML each; that repository has no licence of its own). ``--count`` photos (300) drawn with
  ``random.Random(--seed).sample`` from the 853 in index order; ``n`` is the Kaggle index
  (``maksssksksss<n>.png``). Every object is a face, whatever its class (with_mask, without_mask,
  mask_weared_incorrect). 12 boxes in the 853 annotations reach one pixel past the right edge
  (xmax 401 on a 400 px image): all boxes are clipped to the image.
- ``dlib_<file>.jpg``: ``davisking/dlib`` ``examples/faces/`` (dlib: Boost 1.0; the photos are
  PASCAL VOC 2011 images, Flickr photos under their owners' terms): every image of training.xml and
  testing.xml (9 photos, 43 boxes; box = left, top, left + width, top + height). A box marked
  ``ignore='1'`` would be left out; at dlib's HEAD none is.
- ``face_free.json``: copied from the committed ``tools/eval/face_free.json`` (111 plate validation
  photos, licences as ``../shared/data/plates/SOURCES.md``), after checking that each file exists.
  How that list was made: the 520 photos of ``images/val`` in name order, shuffled with
  ``random.Random(0).shuffle``; walked in that order, every photo was looked at by eye (4 x 4 contact
  sheets at 300 px, then 2 x 2 at about 550 px), and the photos where the project's face model
  (candidates down to 0.12) or OpenCV's Haar face / full-body cascades fired were also looked at as
  enlarged crops. A photo was dropped for any person or part of one (pedestrians, drivers or
  passengers through glass, a hand), any depicted person or face (stickers, posters, painted figures,
  pictograms), or any doubt; a detector firing on something that is no person was never a reason
  to drop. The first 111 photos that passed (the first 192 of the shuffle) make the list.

Images are copied byte for byte (the mask PNGs are mostly RGBA; the evaluator reads them as RGB).
At the defaults: 309 photos, 1,459 faces, 111 face-free photos (the set docs/faces.md measures)."""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from io import BytesIO
from pathlib import Path

from PIL import Image

from .faces import DEFAULT_FACES, HEIGHT_BUCKETS, PLATES, height_bucket

FACE_FREE = Path(__file__).with_name("face_free.json")
DLIB_DIR = "examples/faces"
DLIB_LISTS = ("training.xml", "testing.xml")


class Tree:
    """Files of a repository: a git dir (read at HEAD) or a plain folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.git = (root / "HEAD").is_file() and (root / "objects").is_dir()

    def _git(self, *args: str) -> bytes:
        return subprocess.run(["git", "--git-dir", str(self.root), *args], check=True,
                              capture_output=True).stdout

    def read(self, path: str) -> bytes:
        return self._git("show", f"HEAD:{path}") if self.git else (self.root / path).read_bytes()

    def names(self, folder: str) -> list[str]:
        if self.git:
            return self._git("ls-tree", "--name-only", f"HEAD:{folder}").decode().split()
        return sorted(p.name for p in (self.root / folder).iterdir())

    def has(self, folder: str) -> bool:
        if self.git:
            return subprocess.run(["git", "--git-dir", str(self.root), "cat-file", "-e", f"HEAD:{folder}"],
                                  capture_output=True, check=False).returncode == 0
        return (self.root / folder).is_dir()

    def commit(self) -> str:
        return self._git("rev-parse", "HEAD").decode().strip() if self.git else "(folder)"


def clip(box, width: int, height: int) -> list[float] | None:
    x1, y1, x2, y2 = (min(max(v, 0.0), lim) for v, lim in zip(box, (width, height, width, height)))
    return [x1, y1, x2, y2] if x2 > x1 and y2 > y1 else None


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(BytesIO(data)) as img:
        return img.size


def kaggle_index(name: str) -> int:
    return int(re.search(r"(\d+)", name).group(1))


def mask_photos(tree: Tree, count: int, seed: int):
    """(name, image bytes, boxes) for a seeded sample of the Kaggle mask set; and the clipped-box count."""
    base = "archive" if tree.has("archive/annotations") else "."
    xmls = sorted((n for n in tree.names(f"{base}/annotations") if n.endswith(".xml")), key=kaggle_index)
    picked = sorted(random.Random(seed).sample(xmls, count), key=kaggle_index)
    out, clipped = [], 0
    for xml_name in picked:
        root = ET.fromstring(tree.read(f"{base}/annotations/{xml_name}"))
        file = root.findtext("filename").strip()
        data = tree.read(f"{base}/images/{file}")
        width, height = image_size(data)
        boxes = []
        for obj in root.iter("object"):
            raw = [float(obj.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")]
            box = clip(raw, width, height)
            clipped += box != raw
            if box:
                boxes.append(box)
        out.append((f"mask_{kaggle_index(file)}{Path(file).suffix}", data, boxes))
    return out, clipped


def dlib_photos(tree: Tree):
    """(name, image bytes, boxes) for every image of dlib's example face lists; and the ignored-box count."""
    out, ignored = [], 0
    for listing in DLIB_LISTS:
        root = ET.fromstring(tree.read(f"{DLIB_DIR}/{listing}"))
        for image in root.iter("image"):
            file = image.get("file")
            data = tree.read(f"{DLIB_DIR}/{file}")
            width, height = image_size(data)
            boxes = []
            for b in image.iter("box"):
                if b.get("ignore") == "1":
                    ignored += 1
                    continue
                left, top, w, h = (float(b.get(k)) for k in ("left", "top", "width", "height"))
                box = clip([left, top, left + w, top + h], width, height)
                if box:
                    boxes.append(box)
            out.append((f"dlib_{file}", data, boxes))
    return out, ignored


def counts(labels: dict) -> dict:
    heights = {name: 0 for name, _, _ in HEIGHT_BUCKETS}
    for boxes in labels.values():
        for _, y1, _, y2 in boxes:
            heights[height_bucket(y2 - y1)] += 1
    return {"photos": len(labels), "faces": sum(len(b) for b in labels.values()), "by_height": heights}


def sources_md(parts: dict, total: dict, free: int, commits: dict, argv: str) -> str:
    rows = [
        ("street and crowd photos with masks", parts["mask"],
         ("Kaggle \"Face Mask Detection\" (andrewmvd), "
          f"copy in hittheant/475Project @ {commits['mask'][:7]} (`archive/`, VOC XML)"),
         "stated CC0 1.0 (Kaggle page; the copy has no licence file); the web photos' own copyright is undocumented"),
        ("dlib's example faces", parts["dlib"],
         f"davisking/dlib @ {commits['dlib'][:7]}, `examples/faces/` (training.xml, testing.xml)",
         "dlib: Boost 1.0; photos from PASCAL VOC 2011 (Flickr, owners' terms)"),
    ]
    lines = ["# Face evaluation set: sources and licences", "",
             f"Made by `tools/eval/facedata.py` (plateblur repository): `{argv}`.", "",
             "| part | photos | faces | source | licence |", "|---|---:|---:|---|---|"]
    lines += [f"| {name} | {c['photos']} | {c['faces']} | {src} | {lic} |" for name, c, src, lic in rows]
    lines += [(f"| face-free photos | {free} | 0 | plate validation photos without any person, chosen by eye "
               "(`tools/eval/face_free.json`) | as the plate data (`../shared/data/plates/SOURCES.md`) |"), "",
              "Face heights: " + ", ".join(f"{n} at {b} px" for b, n in total["by_height"].items()) + ".", "",
              ("`faces.json`: x1, y1, x2, y2 in the stored image's pixels, clipped to the image. Mask-set boxes "
               "are VOC xmin, ymin, xmax, ymax as given (all classes are faces); dlib boxes are left, top, "
               "left + width, top + height. Not for redistribution with the project."), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mask-repo", type=Path, required=True, help="hittheant/475Project: git dir or folder")
    p.add_argument("--dlib-repo", type=Path, required=True, help="davisking/dlib: git dir or folder")
    p.add_argument("--out", type=Path, default=DEFAULT_FACES)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--count", type=int, default=300, help="photos drawn from the mask set")
    p.add_argument("--plates", type=Path, default=PLATES, help="root that face_free.json's paths are relative to")
    a = p.parse_args(argv)

    mask, clipped = mask_photos(Tree(a.mask_repo), a.count, a.seed)
    dlib, ignored = dlib_photos(Tree(a.dlib_repo))
    free = json.loads(FACE_FREE.read_text())
    missing = [f for f in free if not (a.plates / f).is_file()]
    if missing:
        raise SystemExit(f"facedata: {len(missing)} face-free photos not found under {a.plates}, e.g. {missing[0]}")

    images = a.out / "images"
    if images.exists():
        shutil.rmtree(images)
    images.mkdir(parents=True)
    labels, parts = {}, {}
    for part, photos in (("mask", mask), ("dlib", dlib)):
        for name, data, boxes in photos:
            (images / name).write_bytes(data)
            labels[name] = [[round(v, 2) for v in b] for b in boxes]
        parts[part] = counts({n: labels[n] for n, _, _ in photos})
    rows = (f"{json.dumps(name)}: {json.dumps(boxes)}" for name, boxes in sorted(labels.items()))
    (a.out / "faces.json").write_text("{\n" + ",\n".join(rows) + "\n}\n")        # one photo a line
    shutil.copyfile(FACE_FREE, a.out / "face_free.json")
    total = counts(labels)
    commits = {"mask": Tree(a.mask_repo).commit(), "dlib": Tree(a.dlib_repo).commit()}
    cmd = f"python -m tools.eval.facedata --seed {a.seed} --count {a.count}"
    (a.out / "SOURCES.md").write_text(sources_md(parts, total, len(free), commits, cmd))

    print(f"{a.out}: {total['photos']} photos ({parts['mask']['photos']} mask, {parts['dlib']['photos']} dlib), "
          f"{total['faces']} faces ({parts['mask']['faces']} mask, {parts['dlib']['faces']} dlib); "
          f"{clipped} boxes clipped, {ignored} ignored")
    print("face heights: " + ", ".join(f"{b}: {n}" for b, n in total["by_height"].items()))
    print(f"face-free photos: {len(free)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
