"""What the page is told when a call fails: a protocol error name, a detail code with its params (the
page says it in its own language: protocol.json "details"), and the English text (logs; the page's
fallback for a code it lacks).

Matched by type, never by message text: Python errors meant for the user are UserErrors
(usererror.py) named in protocol.json; JS errors are matched by their ``name`` (web/worker/*.js give
theirs one, with its ``detail`` and ``params``: port.js ``namedError``), so a new wording cannot change
how an error is handled. ``describe`` is the one place that tells them apart: everything else is an
internal error, told with its exception's name."""
from __future__ import annotations

from ..usererror import UserError
from .protocol import DETAILS, ERRORS

# JS errors made for the user (web/worker/video-file.js): their detail code and params are passed on.
JS_USER_ERRORS = {"VideoError", "VideoDamaged"}


class NotReady(UserError):
    """A call that needs the detector came before load() finished (the page says error.NotReady)."""

    def __init__(self) -> None:
        super().__init__("the detector is not loaded yet")


class LoadError(UserError):
    """A file the detector needs could not be downloaded."""


class FaceModelError(UserError):
    """The face detector could not be downloaded, compiled or run, so faces cannot be hidden: a file or
    the camera that is to hide faces fails with this (never a result that hid only plates)."""

    def __init__(self, cause: BaseException | None = None, code: str = "faces.not_loaded") -> None:
        reason = f"{error_name(cause)}: {error_message(cause)}" if cause is not None else "no face model"
        super().__init__("the face detector is not available ({reason}), so faces cannot be hidden; "
                         "untick Faces to hide plates only, or reload the page", code=code, reason=reason)


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


def is_user_error(exc: BaseException) -> bool:
    """A failure meant for the user: a UserError the protocol names, or a JS error made for the user."""
    name = error_name(exc)
    if type(exc).__name__ == "JsException":
        return name in JS_USER_ERRORS
    return isinstance(exc, UserError) and name in ERRORS


def describe(exc: BaseException) -> dict:
    """{error_name, error (English), detail (a code or None), params} of a failed call."""
    name = error_name(exc)
    if is_user_error(exc):
        detail, params = error_detail(exc)
        return told(name, error_message(exc), detail, params)
    if name == "Cancelled":
        return told(name, "cancelled")
    if isinstance(exc, MemoryError):
        return told("OutOfMemory", "not enough memory for this file; try a smaller one, or close other tabs")
    exception = f"{name}: {error_message(exc)}"
    return told("InternalError", f"internal error ({exception})", "internal.exception", {"exception": exception})


def told(name: str, error: str, detail: str | None = None, params: dict | None = None) -> dict:
    return {"error_name": name, "error": error, "detail": detail, "params": params or {}}


assert {"OutOfMemory", "InternalError", "Cancelled"} | JS_USER_ERRORS <= set(ERRORS)
assert "internal.exception" in DETAILS and "faces.not_loaded" in DETAILS and "FaceModelError" in ERRORS
