"""The real detector (settings.MODEL_FILE through onnxruntime) on the sample photos in
../shared/media, end to end through the core at default Settings."""
import numpy as np
import pytest

from plateblur.imageio import decode_photo
from plateblur.pipeline import detect, render
from plateblur.settings import Settings
from tests.support.helpers import MODEL_PATH, coverage, load_plates, make_frame, noise_frame, outside_mask
from tools.testkit import MEDIA

pytest.importorskip("onnxruntime")   # CPython only (the page runs the model with onnxruntime-web)
PLATES = load_plates()


@pytest.fixture(scope="module")
def model():
    from plateblur.cpython.onnx_model import OnnxModel

    return OnnxModel(MODEL_PATH)


@pytest.fixture(scope="module")
def results(model):
    """file name -> (photo, Rendered) at default settings, computed once."""
    settings = Settings()
    out = {}
    for entry in PLATES:
        photo = decode_photo((MEDIA / entry["file"]).read_bytes())
        out[entry["file"]] = photo, render(photo.rgb, detect(photo.rgb, model, model.input_wh, settings, model.dynamic), settings)
    return out


def test_model_input_and_output_shapes(model):
    assert model.input_wh == (640, 640) and model.dynamic
    output = model(np.zeros((1, 3, 640, 640), np.float32))
    assert output.shape == (1, 5, 8400) and output.dtype == np.float32
    assert model(np.zeros((1, 3, 384, 640), np.float32)).shape == (1, 5, 5040)   # 16:9 at 640


def test_the_shipped_models_take_any_input():
    """Photo and stream models both run at each frame's aspect (rectangular input, issue 12)."""
    from plateblur.cpython.assets import model_path
    from plateblur.cpython.onnx_model import OnnxModel
    from plateblur.settings import MODEL_FILE, STREAM_MODEL_FILE

    photo, stream = OnnxModel(model_path(MODEL_FILE)), OnnxModel(model_path(STREAM_MODEL_FILE))
    assert photo.dynamic and stream.dynamic


def test_samples_are_listed():
    names = {e["file"] for e in PLATES}
    assert len(names) == 10 and "noplate-10.jpg" in names
    assert all((MEDIA / n).is_file() for n in names)


@pytest.mark.parametrize("entry", PLATES, ids=[e["file"] for e in PLATES])
def test_every_plate_is_covered(entry, results):
    photo, rendered = results[entry["file"]]
    h, w = photo.rgb.shape[:2]
    assert (w, h) == (entry["width"], entry["height"])
    regions = rendered.regions
    assert regions.dtype == np.int32 and regions.shape[1:] == (4,)
    assert ((regions[:, 0] >= 0) & (regions[:, 1] >= 0) & (regions[:, 2] <= w) & (regions[:, 3] <= h)).all()
    for plate in entry["plates_xyxy"]:
        share = coverage(plate, regions, (h, w))
        assert share >= 0.9, f"plate {plate} only {share:.0%} covered by {regions.tolist()}"
    if not entry["plates_xyxy"]:
        assert len(regions) == 0, f"false regions {regions.tolist()} in {entry['file']}"
    # only the regions changed
    keep = outside_mask((h, w), regions)
    np.testing.assert_array_equal(rendered.image[keep], photo.rgb[keep])
    assert (rendered.detections.confidence >= Settings().conf).all()


def test_noplate_gives_no_region(results):
    _, rendered = results["noplate-10.jpg"]
    assert len(rendered.regions) == 0 and len(rendered.detections) == 0


def test_plates_are_actually_hidden(results):
    """Inside each ground-truth plate, the default blur wipes out most of the fine detail."""
    for entry in PLATES:
        photo, rendered = results[entry["file"]]
        for x1, y1, x2, y2 in entry["plates_xyxy"]:
            x1, y1, x2, y2 = int(np.ceil(x1)), int(np.ceil(y1)), int(x2), int(y2)
            before = photo.rgb[y1:y2, x1:x2].astype(np.float64)
            after = rendered.image[y1:y2, x1:x2].astype(np.float64)
            d_before = np.mean(np.diff(before, axis=1) ** 2)
            d_after = np.mean(np.diff(after, axis=1) ** 2)
            assert d_after < 0.3 * d_before, (entry["file"], (x1, y1, x2, y2))


@pytest.mark.parametrize("frame_wh", [(1, 1), (2, 3), (10000, 100)])
def test_extreme_frames_run_through_the_real_model(model, frame_wh):
    w, h = frame_wh
    frame = noise_frame(w, h, seed=3) if w * h < 100 else make_frame(w, h, 90)
    det = detect(frame, model, model.input_wh, Settings(), model.dynamic)
    out = render(frame, det, Settings())
    assert out.image.shape == frame.shape
    assert ((det.xyxy[:, [0, 2]] >= 0) & (det.xyxy[:, [0, 2]] <= w)).all()
    assert ((det.xyxy[:, [1, 3]] >= 0) & (det.xyxy[:, [1, 3]] <= h)).all()
