"""What the site is: the files the page may load, their types, the headers they need (its
Content-Security-Policy among them) and the manifest its service worker caches them by.

The single source for tools/serve.py (which serves nothing else) and for the Pages workflow
(`python -m tools.site_files _site` copies exactly these files and writes the manifest)."""
from __future__ import annotations

import hashlib
import html.parser
import json
import shutil
import sys
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
SERVICE_WORKER = "service-worker.js"   # not in the manifest: the browser keeps the worker itself
# Files, and folders whose files are all part of the site (relative to the repo root).
SITE = ("index.html", "pyscript.toml", SERVICE_WORKER, "NOTICE", "LICENSE",
        "web/", "vendor/", "models/", "py/plateblur/")
SKIPPED = ("__pycache__", ".pyc")             # never served, never published
NOT_SITE = ("models/training/",)               # the detector's weights and training record: kept, not served
# Generated from the files (never stored in the checkout): what service-worker.js caches, by content hash.
MANIFEST = "site-manifest.js"
NOT_PRECACHED = (".map",)                      # source maps: only the developer tools ask for them
# What a visit keeps for offline use: every file of the manifest but those of the detector backend it does
# not use (onnxruntime-web's runtime for the other one; the int8 stream model only WASM runs) and those the
# page never loads (PyScript's editor and terminal, micropip, the CLI's modules and its int8 face model). Any of them that the page
# does fetch is cached then (service-worker.js): a file left out here costs a download, never a failure online.
# The float face model (plateblur.settings.FACE_MODEL_FILE) serves photos and streams on both backends.
BACKEND_FILES = {
    "wasm": ("vendor/ort/ort-wasm-simd-threaded.mjs", "vendor/ort/ort-wasm-simd-threaded.wasm",
             "models/plates-v3-dynamic-int8.onnx"),      # plateblur.settings.STREAM_MODEL_FILE
    "webgpu": ("vendor/ort/ort-wasm-simd-threaded.asyncify.mjs", "vendor/ort/ort-wasm-simd-threaded.asyncify.wasm"),
}
ON_DEMAND = ("vendor/pyscript/codemirror", "vendor/pyscript/xterm", "vendor/pyscript/zip-",
             "vendor/pyodide/micropip-", "vendor/pyodide/packaging-", "vendor/pyodide/pyodide.js",
             "py/plateblur/cpython/", "models/faces-centerface-int8.onnx")   # STREAM_FACE_MODEL_FILE: the CLI's
TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json", ".map": "application/json", ".wasm": "application/wasm",
    ".whl": "application/zip", ".zip": "application/zip", ".onnx": "application/octet-stream",
    ".toml": "text/plain; charset=utf-8", ".py": "text/x-python; charset=utf-8",
    ".md": "text/markdown; charset=utf-8", "": "text/plain; charset=utf-8",    # NOTICE, LICENSE
}


ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# frame-ancestors works only in a header (a <meta> policy ignores it): no other site may frame the page.
FRAME_ANCESTORS = "frame-ancestors 'none'"


def site_headers(root: Path = ROOT) -> dict[str, str]:
    """What every response of the site carries: from tools/serve.py, or from the service worker where the
    host cannot send them (GitHub Pages). Cross-origin isolation lets the PyScript worker and
    onnxruntime-web's threads use SharedArrayBuffer; the policy is index.html's <meta>, as a header it
    also covers the workers loaded from URLs."""
    return {"X-Content-Type-Options": "nosniff", **ISOLATION_HEADERS,
            "Content-Security-Policy": f"{content_security_policy(root)}; {FRAME_ANCESTORS}"}


def site_file(url_path: str, extra: tuple[str, ...] = (), root: Path = ROOT) -> Path | None:
    """The file a URL path (already unquoted, without query) names, or None if it is not the site's
    (nor in ``extra``, entries like SITE's)."""
    path = PurePosixPath("/", url_path.lstrip("/") or "index.html")
    parts = path.parts[1:]
    if any(p in ("", ".", "..") or p.startswith(".") or p.endswith(SKIPPED) for p in parts):
        return None
    relative = "/".join(parts)
    if not any(relative == entry or (entry.endswith("/") and relative.startswith(entry)) for entry in SITE + extra):
        return None
    if relative.startswith(NOT_SITE) and not any(relative == entry for entry in extra):
        return None
    file = root / relative
    return file if file.is_file() else None


def content_type(path: Path) -> str:
    return TYPES.get(path.suffix, "application/octet-stream")


def files(root: Path = ROOT) -> list[Path]:
    """Every file of the site (the manifest aside), as paths relative to the repo root."""
    out = []
    for entry in SITE:
        top = root / entry
        candidates = sorted(top.rglob("*")) if entry.endswith("/") else [top]
        out += [p.relative_to(root) for p in candidates
                if p.is_file() and site_file(p.relative_to(root).as_posix(), root=root)]
    return out


_hashes: dict[tuple[Path, int, int], str] = {}


def _sha256(path: Path) -> str:
    stat = path.stat()
    key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
    if key not in _hashes:
        with path.open("rb") as f:
            _hashes[key] = hashlib.file_digest(f, "sha256").hexdigest()
    return _hashes[key]


def precached(paths, backend: str) -> list[str]:
    """Of the manifest's ``paths``, those a visit whose detector runs on ``backend`` keeps for offline use."""
    others = {path for name, own in BACKEND_FILES.items() if name != backend for path in own}
    return sorted(p for p in paths if p not in others and not p.startswith(ON_DEMAND))


def manifest(root: Path = ROOT) -> dict:
    """The release the service worker caches: every file the page may need offline with its size and
    SHA-256, those each detector backend precaches, the headers and types it serves them with, and a
    version that changes with any of these."""
    cached = {p.as_posix(): [(root / p).stat().st_size, _sha256(root / p)]
              for p in files(root) if p.as_posix() != SERVICE_WORKER and p.suffix not in NOT_PRECACHED}
    release = {"headers": site_headers(root), "types": TYPES, "files": cached,
               "precache": {backend: precached(cached, backend) for backend in BACKEND_FILES}}
    version = hashlib.sha256(json.dumps(release, sort_keys=True).encode()).hexdigest()[:16]
    return {"version": version, **release}


def manifest_js(root: Path = ROOT) -> str:
    return ("// Generated by tools/site_files.py from the site's files (service-worker.js imports it).\n"
            f"self.SITE = {json.dumps(manifest(root), indent=1, sort_keys=True)};\n")


class _MetaPolicy(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.policies: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.policies.append(a.get("content") or "")


def content_security_policy(root: Path = ROOT) -> str:
    """The policy in index.html's <meta http-equiv> (all GitHub Pages has without the service worker);
    the server and the service worker send the same as a header."""
    parser = _MetaPolicy()
    parser.feed((root / "index.html").read_text(encoding="utf-8"))
    if len(parser.policies) != 1:
        raise RuntimeError(f"index.html must hold exactly one Content-Security-Policy <meta>, not {len(parser.policies)}")
    return parser.policies[0]


def export(target: Path, root: Path = ROOT) -> int:
    """Copy the site into ``target`` (for GitHub Pages) and write its manifest; returns the number of files."""
    site = files(root)
    for relative in site:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / relative, target / relative)
    (target / MANIFEST).write_text(manifest_js(root), encoding="utf-8")
    return len(site) + 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: tools/site_files.py TARGET_FOLDER  (copies the site's files there, with its manifest)")
    print(f"copied {export(Path(sys.argv[1]))} files to {sys.argv[1]}")
