# Entry point of the page's PyScript worker: the functions the main thread may call.
from plateblur.browser.app import (camera_frame, camera_reset, cancel_video, forget, load, process, process_video,
                                   rerender, time_model, zip_files)

__export__ = ["load", "process", "rerender", "forget", "zip_files", "time_model", "process_video", "cancel_video",
              "camera_frame", "camera_reset"]
