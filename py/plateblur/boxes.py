"""Box maths on (N, 4) xyxy float arrays. Suffix ``_wh`` means (width, height) order."""
from __future__ import annotations

import numpy as np


def clip_boxes(xyxy: np.ndarray, resolution_wh: tuple[int, int]) -> np.ndarray:
    """Clip boxes to the image; returns a new float32 array."""
    w, h = resolution_wh
    out = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4).copy()
    out[:, [0, 2]] = out[:, [0, 2]].clip(0, w)
    out[:, [1, 3]] = out[:, [1, 3]].clip(0, h)
    return out


def box_area(xyxy: np.ndarray) -> np.ndarray:
    xyxy = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)
    return (xyxy[:, 2] - xyxy[:, 0]).clip(0) * (xyxy[:, 3] - xyxy[:, 1]).clip(0)


def box_intersection_batch(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection areas, shape (len(a), len(b))."""
    a = np.asarray(a, dtype=np.float32).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float32).reshape(-1, 4)
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (br - tl).clip(0)
    return wh[..., 0] * wh[..., 1]


def box_iou_batch(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix, shape (len(a), len(b)); 0 where both boxes have no area."""
    inter = box_intersection_batch(a, b)
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def nms_groups(xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[np.ndarray]:
    """Greedy non-maximum suppression as groups of indices, best score first: each group starts
    with the box kept and goes on with the boxes it suppresses (IoU above the threshold)."""
    xyxy = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)
    order = np.argsort(-np.asarray(scores), kind="stable")
    groups = []
    while order.size:
        best, rest = order[0], order[1:]
        iou = box_iou_batch(xyxy[best:best + 1], xyxy[rest])[0]
        groups.append(np.concatenate([[best], rest[iou > iou_threshold]]).astype(np.int64))
        order = rest[iou <= iou_threshold]
    return groups


def nms_keep(xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy non-maximum suppression; returns kept indices, best score first."""
    return np.asarray([g[0] for g in nms_groups(xyxy, scores, iou_threshold)], dtype=np.int64)


def nms_union(xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """NMS that never loses area: each kept box grows to the union of the boxes it suppresses (a
    plate half-seen by one tile and wholly by another stays hidden whole). Returns (xyxy, scores)."""
    xyxy = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    groups = nms_groups(xyxy, scores, iou_threshold)
    boxes = [np.concatenate([xyxy[g, :2].min(axis=0), xyxy[g, 2:].max(axis=0)]) for g in groups]
    return np.asarray(boxes, np.float32).reshape(-1, 4), scores[[g[0] for g in groups]]


def contained_in_other(xyxy: np.ndarray, min_share: float) -> np.ndarray:
    """Boolean mask: boxes of which at least ``min_share`` of the area lies inside another,
    larger box. Used to drop tile fragments that a whole-plate box already covers."""
    xyxy = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)
    area = box_area(xyxy)
    inter = box_intersection_batch(xyxy, xyxy)
    np.fill_diagonal(inter, 0)
    share = np.divide(inter, area[:, None], out=np.zeros_like(inter), where=area[:, None] > 0)
    larger = area[None, :] > area[:, None]
    return ((share >= min_share) & larger).any(axis=1)


def pad_boxes(xyxy: np.ndarray, pad: "float | np.ndarray", min_pad_px: float, resolution_wh: tuple[int, int]) -> np.ndarray:
    """Grow each box by ``pad`` (one for all, or one per box) times its own width/height on every side (at least
    ``min_pad_px``), then clip to the image."""
    xyxy = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)
    w = xyxy[:, 2] - xyxy[:, 0]
    h = xyxy[:, 3] - xyxy[:, 1]
    dx = np.maximum(w * pad, min_pad_px)
    dy = np.maximum(h * pad, min_pad_px)
    grown = np.stack([xyxy[:, 0] - dx, xyxy[:, 1] - dy, xyxy[:, 2] + dx, xyxy[:, 3] + dy], axis=1)
    return clip_boxes(grown, resolution_wh)


def pixel_cover(xyxy: np.ndarray, resolution_wh: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Whole-pixel regions int32 (N, 4) that cover each box completely (floor/ceil), clipped, and
    bool (N,): which of them cover any pixel."""
    boxes = clip_boxes(xyxy, resolution_wh)
    regions = np.concatenate([np.floor(boxes[:, :2]), np.ceil(boxes[:, 2:])], axis=1).astype(np.int32)
    return regions, (regions[:, 2] > regions[:, 0]) & (regions[:, 3] > regions[:, 1])


def to_pixel_regions(xyxy: np.ndarray, resolution_wh: tuple[int, int]) -> np.ndarray:
    """``pixel_cover``'s regions; boxes that cover no pixel are dropped."""
    regions, ok = pixel_cover(xyxy, resolution_wh)
    return regions[ok]


def turn_boxes(xyxy: np.ndarray, resolution_wh: tuple[int, int], turns: int) -> np.ndarray:
    """Boxes of an image of ``resolution_wh`` after the image is turned counter-clockwise by
    ``turns`` quarter turns (as ``np.rot90(image, turns)``): (x, y) -> (y, W - x) per turn."""
    out = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)
    w, h = resolution_wh
    for _ in range(turns % 4):
        out = np.stack([out[:, 1], w - out[:, 2], out[:, 3], w - out[:, 0]], axis=1)
        w, h = h, w
    return out
