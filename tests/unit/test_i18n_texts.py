"""The page's texts (web/i18n/<language>.json): both languages say the same things, with the same
placeholders, and every text the page asks for exists, the worker's error names included."""
from __future__ import annotations

import json
import re

import pytest

from tests.support import REPO_ROOT

WEB = REPO_ROOT / "web"
LANGUAGES = ("en", "de")
TEXTS = {lang: json.loads((WEB / "i18n" / f"{lang}.json").read_text(encoding="utf-8")) for lang in LANGUAGES}


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def exists(key: str, texts: dict) -> bool:
    """A key, or a plural family (<key>.one / <key>.other)."""
    return key in texts or {f"{key}.one", f"{key}.other"} <= texts.keys()


def test_both_languages_have_the_same_keys():
    assert TEXTS["en"].keys() == TEXTS["de"].keys(), set(TEXTS["en"]) ^ set(TEXTS["de"])


@pytest.mark.parametrize("key", sorted(TEXTS["en"]))
def test_each_text_has_the_same_placeholders_in_both(key):
    assert placeholders(TEXTS["en"][key]) == placeholders(TEXTS["de"][key])
    assert TEXTS["en"][key].strip() and TEXTS["de"][key].strip()


def test_every_worker_error_name_has_a_text_in_both():
    protocol = json.loads((REPO_ROOT / "py" / "plateblur" / "browser" / "protocol.json").read_text())
    for lang, texts in TEXTS.items():
        missing = [name for name in protocol["errors"] if f"error.{name}" not in texts]
        assert not missing, f"{lang}: {missing}"


def test_every_text_the_page_asks_for_exists():
    html = (REPO_ROOT / "index.html").read_text(encoding="utf-8")
    keys = set(re.findall(r'data-i18n="([^"]+)"', html))
    for attrs in re.findall(r'data-i18n-attr="([^"]+)"', html):
        keys |= {pair.split(":", 1)[1] for pair in attrs.split(";")}
    for script in WEB.rglob("*.js"):
        keys |= set(re.findall(r'\b(?:msg|t)\("([\w.]+)"', script.read_text(encoding="utf-8")))
    assert len(keys) > 60, "the scan found the page's texts"
    for lang, texts in TEXTS.items():
        missing = sorted(k for k in keys if not exists(k, texts))
        assert not missing, f"{lang}: {missing}"


def test_conditional_texts_exist():
    """msg(a ? "x" : "y") picks one of two keys: both must exist."""
    for script in WEB.rglob("*.js"):
        for pair in re.findall(r'\?\s*"([a-z]+\.[\w.]+)"\s*:\s*"([a-z]+\.[\w.]+)"', script.read_text(encoding="utf-8")):
            for key in pair:
                for lang, texts in TEXTS.items():
                    assert exists(key, texts), f"{lang}: {key} ({script.name})"
