# Entry point of the page's PyScript worker: the exports named in protocol.json.
# PyScript hands every message posted to the worker to `xworker.onmessage` in this script's globals
# (bridge.py sets it to ignore the page's port, which web/worker/port.js takes).
from polyscript import xworker  # noqa: F401

from plateblur.browser import api
from plateblur.browser.protocol import EXPORTS

globals().update({name: getattr(api, name) for name in EXPORTS})
__export__ = EXPORTS
