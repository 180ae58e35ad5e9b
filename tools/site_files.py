"""What the site is: the files the page may load, their types, and its Content-Security-Policy.

The single source for tools/serve.py (which serves nothing else) and for the Pages workflow
(`python -m tools.site_files _site` copies exactly these files)."""
from __future__ import annotations

import html.parser
import shutil
import sys
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
# Files, and folders whose files are all part of the site (relative to the repo root).
SITE = ("index.html", "pyscript.toml", "mini-coi.js", "NOTICE", "LICENSE",
        "web/", "vendor/", "models/", "py/plateblur/")
SKIPPED = ("__pycache__", ".pyc")             # never served, never published
TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json", ".map": "application/json", ".wasm": "application/wasm",
    ".whl": "application/zip", ".zip": "application/zip", ".onnx": "application/octet-stream",
    ".toml": "text/plain; charset=utf-8", ".py": "text/x-python; charset=utf-8",
    ".md": "text/markdown; charset=utf-8", "": "text/plain; charset=utf-8",    # NOTICE, LICENSE
}


def site_file(url_path: str, extra: tuple[str, ...] = ()) -> Path | None:
    """The file a URL path (already unquoted, without query) names, or None if it is not the site's
    (nor in ``extra``, entries like SITE's)."""
    path = PurePosixPath("/", url_path.lstrip("/") or "index.html")
    parts = path.parts[1:]
    if any(p in ("", ".", "..") or p.startswith(".") or p.endswith(SKIPPED) for p in parts):
        return None
    relative = "/".join(parts)
    if not any(relative == entry or (entry.endswith("/") and relative.startswith(entry)) for entry in SITE + extra):
        return None
    file = ROOT / relative
    return file if file.is_file() else None


def content_type(path: Path) -> str:
    return TYPES.get(path.suffix, "application/octet-stream")


def files() -> list[Path]:
    """Every file of the site, as paths relative to the repo root."""
    out = []
    for entry in SITE:
        top = ROOT / entry
        candidates = sorted(top.rglob("*")) if entry.endswith("/") else [top]
        out += [p.relative_to(ROOT) for p in candidates
                if p.is_file() and site_file(p.relative_to(ROOT).as_posix())]
    return out


class _MetaPolicy(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.policies: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.policies.append(a.get("content") or "")


def content_security_policy() -> str:
    """The policy in index.html's <meta http-equiv> (what GitHub Pages gets); the server sends the same."""
    parser = _MetaPolicy()
    parser.feed((ROOT / "index.html").read_text(encoding="utf-8"))
    if len(parser.policies) != 1:
        raise RuntimeError(f"index.html must hold exactly one Content-Security-Policy <meta>, not {len(parser.policies)}")
    return parser.policies[0]


def export(target: Path) -> int:
    """Copy the site into ``target`` (for GitHub Pages); returns the number of files."""
    site = files()
    for relative in site:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / relative, target / relative)
    return len(site)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: tools/site_files.py TARGET_FOLDER  (copies the site's files there)")
    print(f"copied {export(Path(sys.argv[1]))} files to {sys.argv[1]}")
