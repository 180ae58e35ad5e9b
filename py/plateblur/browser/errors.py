"""What the page is told when a call fails: a protocol error name and a message for the user.

Matched by name, never by message text: Python exceptions by class, JS errors by their ``name``
(web/worker/*.js give theirs one), so a new wording cannot change how an error is handled."""
from __future__ import annotations

from .protocol import ERRORS

# Errors whose message is written for the user as it is.
TOLD_AS_IS = {"ImageError", "VideoError", "VideoDamaged"}


class NotReady(RuntimeError):
    """A call that needs the detector came before load() finished."""


def error_name(exc: BaseException) -> str:
    """A JS error's own name (Pyodide's JsException carries it), else the Python class name."""
    if type(exc).__name__ == "JsException":
        return str(getattr(exc, "name", "") or "Error")
    return type(exc).__name__


def error_message(exc: BaseException) -> str:
    message = getattr(exc, "message", None) if type(exc).__name__ == "JsException" else None
    return str(message if message is not None else exc)


def describe(exc: BaseException) -> tuple[str, str]:
    """(protocol error name, message for the user) for a failed call."""
    name = error_name(exc)
    if name in TOLD_AS_IS:
        return name, error_message(exc)
    if name == "Cancelled":
        return name, "cancelled"
    if name == "NotReady":
        return name, "the detector is not loaded yet"
    if isinstance(exc, MemoryError):
        return "OutOfMemory", "not enough memory for this file; try a smaller one, or close other tabs"
    return "InternalError", f"internal error ({name}: {error_message(exc)})"


assert {"OutOfMemory", "InternalError", "Cancelled", "NotReady"} | TOLD_AS_IS <= set(ERRORS)
