# Entry point of the page's PyScript worker: the functions the main thread may call.
from plateblur.browser.app import forget, load, process, rerender, time_model, zip_files

__export__ = ["load", "process", "rerender", "forget", "zip_files", "time_model"]
