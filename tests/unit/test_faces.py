"""Faces beside plates: the face detector's decoding, one prepared frame for both models, each kind kept,
padded and tracked on its own, and what a user chooses to hide."""

import numpy as np
import pytest

from plateblur import pipeline
from plateblur.decode import CENTERFACE_STRIDE, decode_centerface
from plateblur.detections import FACE, PLATE, Detections
from plateblur.edits import Edits, plan_regions
from plateblur.preprocess import Letterbox
from plateblur.settings import FACE_EXTRA_PAD, FACE_MODEL_FILE, Settings
from plateblur.track import Tracker
from tests.support.helpers import BrightBoxModel, make_frame

IDENTITY = Letterbox((1.0, 1.0), (0, 0), (640, 384))


def face_map(shape_hw, faces) -> np.ndarray:
    """A face detector output (1, 5, H/4, W/4) with one heat peak per face (x1, y1, x2, y2, score)."""
    h, w = shape_hw[0] // CENTERFACE_STRIDE, shape_hw[1] // CENTERFACE_STRIDE
    out = np.zeros((1, 5, h, w), np.float32)
    for x1, y1, x2, y2, score in faces:
        cx, cy = (x1 + x2) / 2 / CENTERFACE_STRIDE, (y1 + y2) / 2 / CENTERFACE_STRIDE
        row, col = int(cy), int(cx)
        out[0, :, row, col] = [score, np.log((y2 - y1) / CENTERFACE_STRIDE), np.log((x2 - x1) / CENTERFACE_STRIDE),
                               cy - row - 0.5, cx - col - 0.5]
    return out


class RedFaceModel:
    """Stand-in for the face detector: the pure red pixels of each input are one face (score 0.9)."""

    def __init__(self):
        self.calls = 0

    def __call__(self, tensor: np.ndarray) -> np.ndarray:
        self.calls += 1
        r, g, b = tensor[0]
        red = (r > 0.8) & (g < 0.2) & (b < 0.2)
        faces = []
        if red.any():
            ys, xs = np.flatnonzero(red.any(axis=1)), np.flatnonzero(red.any(axis=0))
            faces.append((xs[0], ys[0], xs[-1] + 1, ys[-1] + 1, 0.9))
        return face_map(tensor.shape[2:], faces)


def street(width=640, height=384):
    """A frame with a white plate (the plate stand-in's) and a red face."""
    frame = make_frame(width, height)
    frame[300:320, 100:160] = 255            # plate: 60 x 20
    frame[60:124, 400:448] = (255, 0, 0)     # face: 48 x 64
    return frame


def test_a_face_peak_decodes_to_its_box():
    found = decode_centerface(face_map((384, 640), [(400, 60, 448, 124, 0.7)]), IDENTITY, 0.05)
    assert found.kinds == ["face"]
    np.testing.assert_allclose(found.xyxy[0], [400, 60, 448, 124], atol=1e-3)
    assert found.confidence[0] == pytest.approx(0.7)


def test_face_cells_below_the_floor_are_nothing_and_a_wrong_shape_is_an_error():
    assert len(decode_centerface(face_map((384, 640), [(400, 60, 448, 124, 0.04)]), IDENTITY, 0.05)) == 0
    with pytest.raises(ValueError, match="face detector output"):
        decode_centerface(np.zeros((1, 5, 100)), IDENTITY, 0.05)


def test_both_models_run_on_the_same_inputs_and_each_box_keeps_its_kind():
    plates, faces = BrightBoxModel(), RedFaceModel()
    found = pipeline.detect(street(), {"plate": plates, "face": faces}, (640, 640), Settings(), dynamic=True)
    assert sorted(found.kinds) == ["face", "plate"]
    assert len(plates.calls) == faces.calls == 1
    rendered = pipeline.render(street(), found, Settings())
    assert sorted(rendered.kinds) == ["face", "plate"]


@pytest.mark.parametrize(("hide", "kinds"), [(("plates",), ["plate"]), (("faces",), ["face"])])
def test_only_what_is_to_be_hidden_is_searched(hide, kinds):
    plates, faces = BrightBoxModel(), RedFaceModel()
    found = pipeline.detect(street(), {"plate": plates, "face": faces}, (640, 640), Settings(hide=hide), dynamic=True)
    assert found.kinds == kinds
    assert (len(plates.calls), faces.calls) == (int("plate" in kinds), int("face" in kinds))


def test_a_face_gets_more_padding_than_a_plate_of_the_same_size():
    boxes = Detections([[100, 100, 200, 200], [300, 100, 400, 200]], [0.9, 0.9], class_id=[PLATE, FACE])
    regions = pipeline.regions_for(boxes, (640, 384), Settings(pad=0.1))
    plate_w, face_w = regions[0, 2] - regions[0, 0], regions[1, 2] - regions[1, 0]
    assert plate_w == pytest.approx(100 * (1 + 2 * 0.1), abs=1)
    assert face_w == pytest.approx(100 * (1 + 2 * (0.1 + FACE_EXTRA_PAD)), abs=1)


def test_faces_have_their_own_threshold():
    boxes = Detections([[0, 0, 10, 10], [20, 0, 30, 10]], [0.15, 0.15], class_id=[PLATE, FACE])
    assert pipeline.kept(boxes, Settings(conf=0.1, face_conf=0.2)).kinds == ["plate"]
    assert pipeline.kept(boxes, Settings(conf=0.2, face_conf=0.1)).kinds == ["face"]


def test_a_plate_inside_a_face_box_is_no_tile_fragment_of_it():
    boxes = Detections([[0, 0, 100, 100], [10, 10, 40, 30]], [0.9, 0.9], class_id=[FACE, PLATE])
    assert sorted(pipeline.kept(boxes, Settings()).kinds) == ["face", "plate"]


def test_unticking_a_kind_drops_its_regions_without_a_new_search():
    boxes = Detections([[10, 10, 60, 30], [100, 100, 150, 160]], [0.9, 0.9], class_id=[PLATE, FACE])
    both = plan_regions(boxes, (640, 384), Settings(), Edits(added=((300, 300, 320, 320),)))
    assert both.kinds == ["plate", "face", "drawn"]
    plates_only = plan_regions(boxes, (640, 384), Settings(hide=("plates",)), Edits(added=((300, 300, 320, 320),)))
    assert plates_only.kinds == ["plate", "drawn"] and plates_only.ids == ["d0", "a0"]


def test_a_track_never_changes_kind():
    tracker = Tracker()
    first = tracker.update(Detections([[100, 100, 140, 120]], [0.9], class_id=[PLATE]))
    moved = tracker.update(Detections([[102, 100, 142, 120]], [0.9], class_id=[FACE]))
    plate_id = first.tracker_id[0]
    assert moved.kinds == ["face", "plate"]                       # the face is new; the plate is carried
    assert moved.tracker_id[0] != plate_id and moved.tracker_id[1] == plate_id
    assert sorted(tracker.predict(1).kinds) == ["face", "plate"]


@pytest.mark.parametrize("hide", [(), ("cars",), ("plates", "plates")])
def test_hide_names_plates_faces_or_both(hide):
    with pytest.raises(ValueError, match="hide must name"):
        Settings(hide=hide)


def test_hide_keeps_a_fixed_order():
    assert Settings(hide=("faces", "plates")).hide == ("plates", "faces")
    assert Settings().kinds == ("plate", "face")


def test_the_shipped_face_model_takes_the_plate_models_input_and_gives_one_map():
    pytest.importorskip("onnxruntime")
    from plateblur.cpython.assets import model_path
    from plateblur.cpython.onnx_model import OnnxModel

    model = OnnxModel(model_path(FACE_MODEL_FILE), threads=1)
    assert model.dynamic and model.input_wh == (640, 640)
    out = model(np.full((1, 3, 384, 640), 114 / 255, np.float32))
    assert out.shape == (1, 5, 96, 160)
    assert 0 <= out[0, 0].min() and out[0, 0].max() < 0.05      # a grey frame holds no face


def test_where_regions_overlap_the_plate_is_pasted_over_the_face():
    """A false face region whose edge runs through a plate must not paste its pixels over the plate's."""
    from plateblur.frames import paste_order

    ids, regions, kinds = paste_order([7, 3, 9, -1], [[100, 100, 300, 160], [50, 0, 400, 130], [10, 10, 30, 20],
                                                      [0, 0, 5, 5]], ("plate", "face", "plate", "drawn"))
    assert kinds == ("face", "plate", "plate", "drawn") and ids.tolist() == [3, 9, 7, -1]
    assert regions.tolist()[1:3] == [[10, 10, 30, 20], [100, 100, 300, 160]], "of one kind, the taller last"
