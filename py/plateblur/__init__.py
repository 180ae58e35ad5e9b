"""plateblur: find vehicle licence plates in frames and obscure them.

The core (numpy in, numpy out) knows nothing of the browser or of files; ``imageio`` decodes and
encodes photos with Pillow for both edges; ``cpython/`` is the command line's edge (files, onnxruntime,
batches, Ray), ``browser/`` the page's."""
from .boxes import box_iou_batch, clip_boxes, nms_keep, nms_union, pad_boxes, to_pixel_regions
from .decode import decode_yolo
from .detections import Detections
from .obscure import OBSCURERS, Blur, Fill, Pixelate
from .pipeline import ModelInput, Rendered, detect, finish, obscured_patches, prepare, regions_for, render, select
from .preprocess import Letterbox, letterbox
from .settings import DETECTION_FLOOR, MODEL_FILE, Settings
from .tiling import plan_windows
from .track import Tracker

__all__ = [
    "Blur", "DETECTION_FLOOR", "Detections", "Fill", "Letterbox", "MODEL_FILE", "ModelInput", "OBSCURERS",
    "Pixelate", "Rendered", "Settings", "Tracker", "box_iou_batch", "clip_boxes", "decode_yolo", "detect",
    "finish", "letterbox", "nms_keep", "nms_union", "pad_boxes", "plan_windows", "obscured_patches", "prepare", "regions_for", "render", "select",
    "to_pixel_regions",
]
