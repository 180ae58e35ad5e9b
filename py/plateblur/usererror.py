"""Errors whose message is meant for the user, said in any language.

A ``code`` (a key of "details" in py/plateblur/browser/protocol.json) and its ``params`` let the page
say it in its own words (web/i18n/<language>.json: error.<code>); ``str()`` is the English text, the
template filled in from the params, for the CLI and logs. Without a code the text is plain English
(messages only the CLI gives)."""
from __future__ import annotations


class UserError(Exception):
    def __init__(self, text: str, code: str | None = None, **params: str | int | float):
        super().__init__(text.format(**params) if code else text)
        self.code, self.params = code, params
