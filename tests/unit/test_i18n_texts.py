"""The page's texts (web/i18n/<language>.json): both languages say the same things, with the same
placeholders, and every text the page asks for exists, the worker's error names included."""
from __future__ import annotations

import ast
import json
import re

import pytest

from tools.testkit import REPO_ROOT

from plateblur.settings import MODES

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


def test_every_mode_the_worker_offers_has_a_name_in_both():
    """The mode select's options come from py/plateblur/settings.py, named by mode.<name>."""
    for lang, texts in TEXTS.items():
        missing = [mode for mode in MODES if f"mode.{mode}" not in texts]
        assert not missing, f"{lang}: {missing}"


def test_conditional_texts_exist():
    """msg(a ? "x" : "y") picks one of two keys: both must exist."""
    for script in WEB.rglob("*.js"):
        for pair in re.findall(r'\?\s*"([a-z]+\.[\w.]+)"\s*:\s*"([a-z]+\.[\w.]+)"', script.read_text(encoding="utf-8")):
            for key in pair:
                for lang, texts in TEXTS.items():
                    assert exists(key, texts), f"{lang}: {key} ({script.name})"


# ---- the worker's messages: detail codes (protocol.json "details", "notes") ----------------------

PROTOCOL = json.loads((REPO_ROOT / "py" / "plateblur" / "browser" / "protocol.json").read_text(encoding="utf-8"))
DETAILS = {code: d for code, d in PROTOCOL["details"].items() if code != "about"}
NOTES = {code: d for code, d in PROTOCOL["notes"].items() if code != "about"}
DIAGNOSTIC = {"reason"}                 # a param for logs only, never shown on the page
PY = REPO_ROOT / "py" / "plateblur"


@pytest.mark.parametrize("key, spec", [(f"error.{c}", d) for c, d in DETAILS.items()]
                         + [(f"note.{c}", d) for c, d in NOTES.items()])
def test_every_detail_code_has_a_text_in_both_with_its_params(key, spec):
    for lang, texts in TEXTS.items():
        assert key in texts, f"{lang}: {key}"
        assert placeholders(texts[key]) == set(spec["params"]) - DIAGNOSTIC, f"{lang}: {key}"
    assert spec.get("error", "ImageError") in PROTOCOL["errors"]


def test_an_unknown_code_falls_back_to_a_generic_text_with_the_english_detail():
    """A failure whose code the texts lack shows its error name's text (or error.other) around the
    English words: every name that has detail codes, and error.other, has a {detail}."""
    names = {d["error"] for d in DETAILS.values()} - {"WorkerLost"}
    for lang, texts in TEXTS.items():
        for key in [f"error.{name}" for name in names] + ["error.other"]:
            assert placeholders(texts[key]) == {"detail"}, f"{lang}: {key}"


def python_codes() -> list[tuple[str, str, str, set[str], str]]:
    """(file, error class, code, param names, English template) of every ``X(text, code=..., **params)``
    raised or made in the package."""
    found = []
    for path in PY.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            code = keywords.pop("code", None)
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                template = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else ""
                found.append((path.name, getattr(node.func, "id", ""), code.value, set(keywords), template))
    return found


def test_every_code_python_raises_is_in_the_protocol_with_its_params():
    found = python_codes()
    assert {"image.not_an_image", "image.too_large", "load.http"} <= {code for _, _, code, _, _ in found}
    for file, error, code, params, template in found:
        assert code in DETAILS, f"{file}: {code}"
        assert error == DETAILS[code]["error"], f"{file}: {code} raised as {error}"
        assert params == set(DETAILS[code]["params"]), f"{file}: {code}"
        assert placeholders(template) == params, f"{file}: {code}: the English text uses every param"
    internal = (PY / "browser" / "errors.py").read_text(encoding="utf-8")
    assert '"internal.exception", {"exception": exception}' in internal


def js_object_keys(body: str | None) -> set[str]:
    """The keys of a JS object literal's text: `{ width, height, extension: output.extension }` (a part
    that is not `key` or `key: …` is a call's argument within a value)."""
    parts = (re.fullmatch(r"\s*([A-Za-z_$][\w$]*)\s*(?::.*)?", part, re.S) for part in (body or "").split(","))
    return {part.group(1) for part in parts if part}


def test_every_code_the_worker_js_throws_is_in_the_protocol_with_its_params():
    found = 0
    for script in WEB.rglob("*.js"):
        source = script.read_text(encoding="utf-8")
        for name, code, body in re.findall(r'namedError\("(\w+)"(?:,\s*"([\w.]+)"(?:,\s*\{([^}]*)\})?)?\)', source):
            assert name in PROTOCOL["errors"], f"{script.name}: {name}"
            if code:
                found += 1
                assert DETAILS[code]["error"] == name, f"{script.name}: {code}"
                assert js_object_keys(body) == set(DETAILS[code]["params"]), f"{script.name}: {code}"
        for code, body in re.findall(r'\bnote\("([\w.]+)",\s*\{([^}]*)\}\)', source):
            found += 1
            assert js_object_keys(body) == set(NOTES[code]["params"]), f"{script.name}: {code}"
    assert found >= 10, "the scan found the worker's codes"
    client = (WEB / "worker-client.js").read_text(encoding="utf-8")
    reasons = set(re.findall(r'this\.lose\(generation, "(\w+)"\)', client))
    assert reasons == {"stopped", "hung"}
    assert {f"worker.{reason}" for reason in reasons} <= DETAILS.keys()


def test_boot_js_says_a_missing_file_in_both_languages_as_the_texts_do():
    """boot.js runs before (and without) the texts: its own copies must say the same."""
    boot = (WEB / "boot.js").read_text(encoding="utf-8")
    for lang, texts in TEXTS.items():
        assert f"    {lang}: {json.dumps(texts['load.missing'], ensure_ascii=False)},\n" in boot, lang
    assert "Could not load" not in re.sub(r'\n    en: "[^\n]*\n', "\n", boot), "no English outside the texts"


def test_a_loading_text_comes_alone_and_with_its_bytes_never_with_a_dangling_space():
    """app.js loading(key, …) shows <key> alone, or <key>.bytes with "3.1 of 12.3 MB" where the size is known."""
    keys = set(re.findall(r'\bloading\("([\w.]+)"', (WEB / "app.js").read_text(encoding="utf-8")))
    assert {"load.download", "load.detector", "load.videoDetector"} <= keys
    for lang, texts in TEXTS.items():
        for key in keys:
            assert texts[key] == texts[key].strip() and not placeholders(texts[key]), f"{lang}: {key}"
            assert placeholders(texts[f"{key}.bytes"]) == {"progress"}, f"{lang}: {key}.bytes"
            assert texts[f"{key}.bytes"].startswith(texts[key]), f"{lang}: {key}.bytes"


def test_the_start_up_steps_say_what_is_going_on():
    """PyScript's stages ("Loading Pyodide" … "Loaded Pyodide") shown as steps still under way, in words a
    first-time user knows (Python, not only Pyodide)."""
    for lang, under_way in (("en", r"^(Loading|Starting) .+…$"), ("de", r"^.+ (wird|werden) (geladen|gestartet)…$")):
        steps = [TEXTS[lang][f"load.step.{i}"] for i in range(4)]
        assert all(re.match(under_way, step) for step in steps), (lang, steps)
        assert "Python" in steps[0] and len(set(steps)) == 4, (lang, steps)
