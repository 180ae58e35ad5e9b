"""tools/setup leaves vendor/ as it is when nothing changed, so the browser's cached copies stay valid,
and mends a served file whose content differs from its package's."""
from __future__ import annotations

import os
import subprocess

from tools.testkit import REPO_ROOT

VENDOR = REPO_ROOT / "vendor"


def setup() -> str:
    done = subprocess.run([str(REPO_ROOT / "tools" / "setup")], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def mtimes() -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in VENDOR.rglob("*") if p.is_file()}


def test_a_second_setup_changes_no_served_file():
    setup()
    before = mtimes()
    assert "0 file(s) written" in setup()
    assert mtimes() == before


def test_a_changed_or_stale_file_is_mended():
    wasm = VENDOR / "ort" / "ort-wasm-simd-threaded.wasm"
    original = wasm.read_bytes()
    stale = VENDOR / "ort" / "left-over.mjs"
    try:
        wasm.write_bytes(original[:100])
        stale.write_text("// from an older release")
        out = setup()
        assert "1 file(s) written" in out and "1 stale removed" in out
        assert wasm.read_bytes() == original and not stale.exists()
    finally:
        if wasm.read_bytes() != original:
            wasm.write_bytes(original)
        if stale.exists():
            os.remove(stale)
