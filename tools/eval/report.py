"""Readable tables (Markdown) from an evaluation result dict (the one evaluate.py --json prints)."""
from __future__ import annotations

from .metrics import SIZE_BUCKETS


def pct(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def _size_label(name: str) -> str:
    for n, low, high in SIZE_BUCKETS:
        if n == name:
            return f"{name} (< {high:g} px wide)" if low == 0 else (
                f"{name} (>= {low:g} px)" if high == float("inf") else f"{name} ({low:g}-{high:g} px)")
    return name


def plates_table(result: dict) -> list[str]:
    lines = ["| group | photos | plates | recall | covered | photos all covered | kept | precision |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]

    def row(label, t, size_row=False):
        photos = "" if size_row else t["photos"]
        kept = "" if size_row else t["kept"]
        lines.append(f"| {label} | {photos} | {t['plates']} | {pct(t['recall'])} | {pct(t['covered_rate'])} | "
                     f"{'' if size_row else pct(t['photos_all_covered'])} | {kept} | "
                     f"{'' if size_row else pct(t['precision'])} |")

    row("**all**", result["overall"])
    for name, t in result["by_source"].items():
        row(f"source `{name}`", t)
    for name, t in result["by_size"].items():
        if t["plates"]:
            row(f"size {_size_label(name)}", t, size_row=True)
    if result.get("at_least_16px", {}).get("plates"):
        row("plates >= 16 px wide", result["at_least_16px"], size_row=True)
    return lines


def negatives_table(result: dict) -> list[str]:
    neg = result.get("negatives")
    if not neg:
        return ["(no negatives given)"]
    lines = [f"False regions on plate-free photos: **{neg['regions_per_photo']:.3f} per photo** "
             f"({neg['regions']} regions on {neg['photos_with_regions']} of {neg['photos']} photos; at most "
             f"{neg['max_regions']} on one)", "",
             "| cut from source | photos | regions | per photo | photos with any |", "|---|---:|---:|---:|---:|"]
    for name, t in result["negatives_by_source"].items():
        lines.append(f"| `{name}` | {t['photos']} | {t['regions']} | {t['regions_per_photo']:.3f} | "
                     f"{t['photos_with_regions']} |")
    return lines


def format_result(result: dict) -> str:
    m, s, d = result["model"], result["settings"], result["data"]
    head = [f"model: {m['path']} (input {m['input_wh'][0]}x{m['input_wh'][1]}{' long side, dynamic' if m.get('dynamic') else ''}, onnx sha256 {m['onnx_sha256'][:12]})",
            f"settings: conf {s['conf']:g}, pad {s['pad']:g}, max_downscale {s['max_downscale']:g}, iou {s['iou']:g}",
            f"data: {d['path']} ({d['split']}): {d['photos']} photos, {d['plates']} plates"]
    if result.get("negatives_data"):
        n = result["negatives_data"]
        head.append(f"negatives: {n['path']}: {n['photos']} photos")
    targets = result.get("targets")
    lines = head + [""] + plates_table(result) + [""] + negatives_table(result)
    if targets:
        lines += ["", "targets: " + ", ".join(f"{k} {'met' if v['met'] else 'NOT met'} ({v['value']} vs {v['goal']})"
                                              for k, v in targets.items())]
    if result.get("hard"):
        hard = result["hard"]
        lines += ["", f"hard cases: {hard['data']['path']}: {hard['data']['photos']} photos, {hard['data']['plates']} plates "
                      "(by source = by transform)", ""] + plates_table(hard)
    return "\n".join(lines)


def sweep_row_header() -> list[str]:
    return ["| conf | pad | max_downscale | recall | covered | photos all covered | precision | false regions / neg. photo | small recall | small covered |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]


def sweep_row(result: dict) -> str:
    s, o = result["settings"], result["overall"]
    neg = result.get("negatives") or {}
    small = result["by_size"]["small"]
    return (f"| {s['conf']:g} | {s['pad']:g} | {s['max_downscale']:g} | {pct(o['recall'])} | {pct(o['covered_rate'])} | "
            f"{pct(o['photos_all_covered'])} | {pct(o['precision'])} | {pct(neg.get('regions_per_photo'))} | "
            f"{pct(small['recall'])} | {pct(small['covered_rate'])} |")
