"""What the page is told when a call fails: a protocol error name, a detail code with its params (the
page says it in its own language: protocol.json "details"), and the English text (logs; the page's
fallback for a code it lacks).

Matched by name, never by message text: Python exceptions by class, JS errors by their ``name``
(web/worker/*.js give theirs one, with its ``detail`` and ``params``: port.js ``namedError``), so a
new wording cannot change how an error is handled."""
from __future__ import annotations

from ..usererror import UserError
from .protocol import DETAILS, ERRORS

# Errors made for the user: their detail code and params are passed on as they are.
TOLD_AS_IS = {"ImageError", "VideoError", "VideoDamaged", "LoadError"}


class NotReady(RuntimeError):
    """A call that needs the detector came before load() finished."""


class LoadError(UserError):
    """A file the detector needs could not be downloaded."""


def error_name(exc: BaseException) -> str:
    """A JS error's own name (Pyodide's JsException carries it), else the Python class name."""
    if type(exc).__name__ == "JsException":
        return str(getattr(exc, "name", "") or "Error")
    return type(exc).__name__


def error_message(exc: BaseException) -> str:
    message = getattr(exc, "message", None) if type(exc).__name__ == "JsException" else None
    return str(message if message is not None else exc)


def error_detail(exc: BaseException) -> tuple[str | None, dict]:
    """The detail code and params a UserError (usererror.py) or a named JS error carries."""
    code = getattr(exc, "code" if type(exc).__name__ != "JsException" else "detail", None)
    params = getattr(exc, "params", None)
    if hasattr(params, "to_py"):
        params = params.to_py()
    return (str(code) if code else None), dict(params or {})


def describe(exc: BaseException) -> dict:
    """{error_name, error (English), detail (a code or None), params} of a failed call."""
    name = error_name(exc)
    if name in TOLD_AS_IS:
        detail, params = error_detail(exc)
        return told(name, error_message(exc), detail, params)
    if name == "Cancelled":
        return told(name, "cancelled")
    if name == "NotReady":
        return told(name, "the detector is not loaded yet")
    if isinstance(exc, MemoryError):
        return told("OutOfMemory", "not enough memory for this file; try a smaller one, or close other tabs")
    exception = f"{name}: {error_message(exc)}"
    return told("InternalError", f"internal error ({exception})", "internal.exception", {"exception": exception})


def told(name: str, error: str, detail: str | None = None, params: dict | None = None) -> dict:
    return {"error_name": name, "error": error, "detail": detail, "params": params or {}}


assert {"OutOfMemory", "InternalError", "Cancelled", "NotReady"} | TOLD_AS_IS <= set(ERRORS)
assert "internal.exception" in DETAILS
