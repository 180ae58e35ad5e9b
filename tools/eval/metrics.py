"""Scoring one photo's result against its labelled plates, and adding the scores up.

Pure numpy on (N, 4) xyxy arrays in the photo's own pixels; no model, no files. The definitions:

- **found** (recall): kept detections and labelled plates are matched one to one, greedily, the most
  confident detection first, each taking the unmatched plate it overlaps most, if that IoU >= 0.5.
- **covered** (the privacy metric): at least ``COVER_SHARE`` (90 %) of the labelled plate's area lies
  inside the union of the obscured regions (padded, whole-pixel), whichever detections produced them.
- **false regions**: obscured regions on photos that have no plate (the negatives).
- **size**: by the labelled box's width in the photo's own pixels (``SIZE_BUCKETS``)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MATCH_IOU = 0.5
COVER_SHARE = 0.9
SIZE_BUCKETS = (("small", 0.0, 32.0), ("medium", 32.0, 96.0), ("large", 96.0, float("inf")))
WIDE_PX = 16.0        # plates at least this wide: the detector's issue sets a target for them apart


def _as_boxes(xyxy) -> np.ndarray:
    return np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)


def iou_matrix(a, b) -> np.ndarray:
    """IoU of every box in ``a`` with every box in ``b``, shape (len(a), len(b))."""
    a, b = _as_boxes(a), _as_boxes(b)
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (br - tl).clip(0).prod(axis=2)
    area_a = (a[:, 2:] - a[:, :2]).clip(0).prod(axis=1)
    area_b = (b[:, 2:] - b[:, :2]).clip(0).prod(axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def match_greedy(pred_xyxy, pred_conf, gt_xyxy, min_iou: float = MATCH_IOU) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matching. Detections in order of falling confidence each take the unmatched
    labelled box with the highest IoU, if it reaches ``min_iou``. Returns (gt_matched bool (G,),
    pred_matched bool (P,))."""
    pred, gt = _as_boxes(pred_xyxy), _as_boxes(gt_xyxy)
    gt_matched = np.zeros(len(gt), dtype=bool)
    pred_matched = np.zeros(len(pred), dtype=bool)
    if not len(pred) or not len(gt):
        return gt_matched, pred_matched
    iou = iou_matrix(pred, gt)
    for p in np.argsort(-np.asarray(pred_conf, dtype=np.float64).reshape(-1), kind="stable"):
        candidates = np.where(gt_matched, -1.0, iou[p])
        g = int(np.argmax(candidates))
        if candidates[g] >= min_iou:
            gt_matched[g] = True
            pred_matched[p] = True
    return gt_matched, pred_matched


def covered_share(gt_xyxy, regions_xyxy) -> np.ndarray:
    """For each labelled box, the share of its area inside the union of ``regions`` (exact:
    the union is cut into cells on the regions' own edges). Zero-area boxes count as covered
    when a region contains them. Shape (G,)."""
    gt, regions = _as_boxes(gt_xyxy), _as_boxes(regions_xyxy)
    out = np.zeros(len(gt), dtype=np.float64)
    for i, (x1, y1, x2, y2) in enumerate(gt):
        area = max(x2 - x1, 0.0) * max(y2 - y1, 0.0)
        if area == 0:
            inside = ((regions[:, 0] <= x1) & (regions[:, 1] <= y1) & (regions[:, 2] >= x2) & (regions[:, 3] >= y2))
            out[i] = float(inside.any())
            continue
        clipped = np.stack([regions[:, 0].clip(x1, x2), regions[:, 1].clip(y1, y2),
                            regions[:, 2].clip(x1, x2), regions[:, 3].clip(y1, y2)], axis=1)
        clipped = clipped[(clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])]
        if not len(clipped):
            continue
        xs = np.unique(clipped[:, [0, 2]])
        ys = np.unique(clipped[:, [1, 3]])
        cx = (xs[:-1] + xs[1:]) / 2   # cell centres
        cy = (ys[:-1] + ys[1:]) / 2
        inside = ((clipped[:, None, None, 0] <= cx[None, None, :]) & (clipped[:, None, None, 2] >= cx[None, None, :])
                  & (clipped[:, None, None, 1] <= cy[None, :, None]) & (clipped[:, None, None, 3] >= cy[None, :, None]))
        cell_area = np.diff(ys)[:, None] * np.diff(xs)[None, :]
        out[i] = float((cell_area * inside.any(axis=0)).sum()) / area
    return out


def size_bucket(width: float) -> str:
    for name, low, high in SIZE_BUCKETS:
        if low <= width < high:
            return name
    return SIZE_BUCKETS[-1][0]


@dataclass
class PhotoScore:
    """One labelled photo's result at one setting."""

    name: str
    source: str
    gt_widths: np.ndarray          # (G,) labelled box widths, pixels
    found: np.ndarray              # (G,) bool: matched at IoU >= 0.5
    covered: np.ndarray            # (G,) bool: >= 90 % inside the obscured regions
    kept: int                      # detections kept at the threshold
    unmatched: int                 # kept detections that matched no labelled plate
    regions: int                   # obscured regions


def score_photo(name: str, source: str, gt_xyxy, kept_xyxy, kept_conf, regions) -> PhotoScore:
    gt = _as_boxes(gt_xyxy)
    found, pred_matched = match_greedy(kept_xyxy, kept_conf, gt)
    covered = covered_share(gt, regions) >= COVER_SHARE - 1e-9
    return PhotoScore(name, source, gt[:, 2] - gt[:, 0], found, covered, len(pred_matched),
                      int((~pred_matched).sum()), len(_as_boxes(regions)))


@dataclass
class Tally:
    """Sums over photos with plates; ``as_dict`` gives the rates."""

    photos: int = 0
    plates: int = 0
    found: int = 0
    covered: int = 0
    photos_all_covered: int = 0
    kept: int = 0
    unmatched: int = 0

    def add(self, s: PhotoScore, mask: np.ndarray | None = None) -> None:
        """Adds the plates selected by ``mask`` (all by default); photo-level counts only when
        the whole photo is added."""
        whole = mask is None
        mask = np.ones(len(s.found), dtype=bool) if whole else mask
        self.plates += int(mask.sum())
        self.found += int(s.found[mask].sum())
        self.covered += int(s.covered[mask].sum())
        if whole:
            self.photos += 1
            self.photos_all_covered += int(s.covered.all())
            self.kept += s.kept
            self.unmatched += s.unmatched

    def as_dict(self) -> dict:
        rate = lambda n, d: round(n / d, 4) if d else None  # noqa: E731
        return {"photos": self.photos, "plates": self.plates, "found": self.found, "covered": self.covered,
                "recall": rate(self.found, self.plates), "covered_rate": rate(self.covered, self.plates),
                "photos_all_covered": rate(self.photos_all_covered, self.photos) if self.photos else None,
                "kept": self.kept, "unmatched": self.unmatched,
                "precision": rate(self.kept - self.unmatched, self.kept)}


@dataclass
class NegativeTally:
    """Sums over photos without plates."""

    photos: int = 0
    regions: int = 0
    photos_with_regions: int = 0
    max_regions: int = 0

    def add(self, regions: int) -> None:
        self.photos += 1
        self.regions += regions
        self.photos_with_regions += int(regions > 0)
        self.max_regions = max(self.max_regions, regions)

    def as_dict(self) -> dict:
        return {"photos": self.photos, "regions": self.regions,
                "regions_per_photo": round(self.regions / self.photos, 4) if self.photos else None,
                "photos_with_regions": self.photos_with_regions, "max_regions": self.max_regions}


@dataclass
class Summary:
    overall: Tally = field(default_factory=Tally)
    by_source: dict[str, Tally] = field(default_factory=dict)
    by_size: dict[str, Tally] = field(default_factory=lambda: {name: Tally() for name, _, _ in SIZE_BUCKETS})
    wide: Tally = field(default_factory=Tally)
    negatives: NegativeTally = field(default_factory=NegativeTally)
    negatives_by_source: dict[str, NegativeTally] = field(default_factory=dict)

    def add(self, s: PhotoScore) -> None:
        self.overall.add(s)
        self.by_source.setdefault(s.source, Tally()).add(s)
        buckets = np.array([size_bucket(w) for w in s.gt_widths])
        for name in self.by_size:
            mask = buckets == name
            if mask.any():
                self.by_size[name].add(s, mask)
        wide = s.gt_widths >= WIDE_PX
        if wide.any():
            self.wide.add(s, wide)

    def add_negative(self, source: str, regions: int) -> None:
        self.negatives.add(regions)
        self.negatives_by_source.setdefault(source, NegativeTally()).add(regions)

    def as_dict(self) -> dict:
        return {"overall": self.overall.as_dict(),
                "by_source": {k: v.as_dict() for k, v in sorted(self.by_source.items())},
                "by_size": {k: v.as_dict() for k, v in self.by_size.items()},
                "at_least_16px": self.wide.as_dict(),
                "negatives": self.negatives.as_dict() if self.negatives.photos else None,
                "negatives_by_source": {k: v.as_dict() for k, v in sorted(self.negatives_by_source.items())}}
