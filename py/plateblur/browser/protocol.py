"""The page <-> worker protocol (protocol.json, read by the page's JS too): names only, no js."""
from __future__ import annotations

import json
from pathlib import Path

PROTOCOL = json.loads((Path(__file__).parent / "protocol.json").read_text(encoding="utf-8"))
EXPORTS: list[str] = list(PROTOCOL["exports"])
STAGES: list[str] = PROTOCOL["stages"]
ERRORS: list[str] = list(PROTOCOL["errors"])
DETAILS: dict[str, dict] = {code: d for code, d in PROTOCOL["details"].items() if code != "about"}
NOTES: dict[str, dict] = {code: d for code, d in PROTOCOL["notes"].items() if code != "about"}
CONTROLS: list[str] = [name for name in PROTOCOL["controls"] if name != "about"]
