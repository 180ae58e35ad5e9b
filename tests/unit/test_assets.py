"""The models ship as package data, the very files the page loads from models/."""
import pytest

from plateblur.cpython.assets import model_path
from plateblur.settings import MODEL_FILE, STREAM_MODEL_FILE
from tools.testkit import REPO_ROOT


@pytest.mark.parametrize("site_path", [MODEL_FILE, STREAM_MODEL_FILE])
def test_the_package_ships_the_models_the_page_loads(site_path):
    shipped = model_path(site_path)
    assert shipped == model_path(site_path.rsplit("/", 1)[-1])        # by site path or by file name
    assert shipped.read_bytes() == (REPO_ROOT / site_path).read_bytes()


def test_an_unknown_model_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match=r"^plateblur ships no model 'models/none\.onnx'$"):
        model_path("models/none.onnx")
