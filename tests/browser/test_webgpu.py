"""WebGPU (issue 12): the page runs the detector on WebGPU when the browser offers an adapter, else on WASM;
both find the same regions as the CLI; a lost GPU device moves the detector to WASM without losing a photo.

Headless Chromium here offers only a software adapter (SwiftShader; --enable-unsafe-webgpu and no
--disable-gpu): one model run takes tens of seconds, so these tests keep to a few runs (three photos, a clip
of three frames): the five marked `webgpu` take about two minutes together on a quiet machine (`-m 'not webgpu'`
leaves them out of a quick run)."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from plateblur.settings import MODEL_FILE, STREAM_MODEL_FILE
from tools import site_files
from tools.testkit import MEDIA, REPO_ROOT, media
from tools.testkit.page_driver import App, launch, local_site

slow_on_software_adapter = pytest.mark.webgpu      # runs the model on the software adapter

PHOTOS = ["dashcam-02.png", "openimages-09.jpg", "noplate-10.jpg"]   # inputs 640x384, 640x640, 640x160
CLIP = "pan-3.mp4"            # the first 3 frames of pan.mp4 (640x360, 30 fps)
GAP_PX = 3
READY = r"Ready \(detector on {}, loaded in \d+\.\d s\)\. Drop photos or videos to start\."
# Every GPU device the worker's code asks for, kept where a test can reach it (a worker's own global).
KEEP_DEVICES = """() => {
  if (!self.GPUAdapter || self.__devices) return;
  self.__devices = [];
  const request = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await request.apply(this, args);
    self.__devices.push(device);
    return device;
  };
}"""


def keep_devices(app, worker) -> None:
    """Patch the app's own workers, not onnxruntime's thread-pool workers (they block in Atomics.wait and
    would never answer an evaluate)."""
    app.worker_urls.append(worker.url)
    if "ort-wasm" not in worker.url:
        worker.evaluate(KEEP_DEVICES)
        app.workers.append(worker)


@pytest.fixture(scope="module")
def gpu_app(playwright, site_url):
    browser = launch(playwright, webgpu=True)
    app = App(browser, site_url)
    app.workers, app.worker_urls = [], []
    app.page.on("worker", lambda worker: keep_devices(app, worker))
    app.open(timeout_ms=600_000)      # compiling and warming up on the software adapter takes minutes
    yield app
    external, blocked = app.external_requests(), app.csp_violations()
    app.close()
    browser.close()
    assert not external, f"the page made requests beyond the local server: {external}"
    assert not blocked, f"the Content-Security-Policy blocked what the page does: {blocked}"


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    source = media.ensure_media() / "pan.mp4"
    out = tmp_path_factory.mktemp("webgpu") / CLIP
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(source), "-frames:v", "3", "-c:v", "copy", "-an", str(out)],
                   check=True, timeout=60)
    return out


def run_all(app, clip) -> dict:
    """Upload the photos and the clip; name -> (regions, the downloaded file's bytes)."""
    app.upload([MEDIA / name for name in PHOTOS] + [clip], timeout_ms=1_800_000)
    out = {}
    for name in [*PHOTOS, clip.name]:
        result = app.result(name)
        assert result.get_attribute("data-state") == "done", result.locator(".status").text_content()
        regions = app.data(result, "regions") if name in PHOTOS else None
        out[name] = (regions, app.download(result)[1])
    return out


@pytest.fixture(scope="module")
def on_gpu(gpu_app, clip):
    return run_all(gpu_app, clip)


@pytest.fixture(scope="module")
def on_wasm(browser, site_url, clip):
    """WASM with the float model for videos too, as WebGPU runs them (models.Models.stream): the same
    model on both backends, so the video exports can be compared pixel for pixel."""
    app = App(browser, site_url).open(f"?model={MODEL_FILE}")
    yield run_all(app, clip)
    app.close()


@pytest.fixture(scope="module")
def on_cli():
    run = subprocess.run([sys.executable, "-m", "plateblur", "--json", *(str(MEDIA / n) for n in PHOTOS)],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    return {json.loads(line)["path"].rsplit("/", 1)[-1]: json.loads(line)["regions"] for line in run.stdout.splitlines()}


def same_regions(a, b) -> bool:
    """The same number of regions, each within GAP_PX of its counterpart (both sorted the same way)."""
    a, b = np.asarray(sorted(a), np.int64).reshape(-1, 4), np.asarray(sorted(b), np.int64).reshape(-1, 4)
    return a.shape == b.shape and (not len(a) or int(np.abs(a - b).max()) <= GAP_PX)


def test_the_page_runs_webgpu_when_the_browser_offers_an_adapter(gpu_app):
    assert gpu_app.page.evaluate("document.body.dataset.backend") == "webgpu"
    assert re.fullmatch(READY.format(r"the GPU \(WebGPU\)"), gpu_app.page.text_content("#load-status"))


def test_the_page_runs_wasm_without_webgpu(app):
    assert app.page.evaluate("document.body.dataset.backend") == "wasm"
    assert re.fullmatch(READY.format(r"the CPU \(WebAssembly\)"), app.page.text_content("#load-status"))


@slow_on_software_adapter
@pytest.mark.parametrize("name", PHOTOS)
def test_webgpu_finds_the_same_regions_as_wasm_and_the_cli(on_gpu, on_wasm, on_cli, name):
    gpu, wasm, cli = on_gpu[name][0], on_wasm[name][0], on_cli[name]
    assert same_regions(gpu, wasm), f"WebGPU {gpu} vs WASM {wasm}"
    assert same_regions(gpu, cli), f"WebGPU {gpu} vs CLI {cli}"


@slow_on_software_adapter
def test_webgpu_video_hides_every_plate_and_matches_wasm(gpu_app, on_gpu, on_wasm, clip, tmp_path):
    """Every frame comes back with every plate hidden, and nearly the same pixels as on WASM with the same
    (float) model (the same regions give the same frames; a region moved by a few pixels changes only a
    thin band). On WebGPU the photo model serves videos too: no stream model was loaded beside it and the
    face model."""
    assert gpu_app.page.evaluate("window.plateblur.sync.loaded_models()") == 2
    (tmp_path / "gpu.mp4").write_bytes(on_gpu[CLIP][1])
    (tmp_path / "wasm.mp4").write_bytes(on_wasm[CLIP][1])
    original, _ = media.read_video(clip)
    gpu, gpu_stamps = media.read_video(tmp_path / "gpu.mp4")
    wasm, wasm_stamps = media.read_video(tmp_path / "wasm.mp4")
    assert len(gpu) == len(wasm) == len(original) == 3 and gpu_stamps == wasm_stamps
    for i, (before, a, b) in enumerate(zip(original, gpu, wasm)):
        for box in media.boxes_of("pan.mp4", i)[0]:
            assert media.plate_obscured(before, a, box), f"frame {i}: plate {box} visible in the WebGPU export"
        differs = (np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2) > 40).mean()
        assert differs < 0.002, f"frame {i}: {differs:.2%} of the pixels differ from the WASM export"


@slow_on_software_adapter
def test_a_lost_gpu_device_moves_the_detector_to_wasm_and_loses_no_photo(gpu_app, on_cli):
    """Runs last: the device is destroyed under the loaded detector; the next photo is still found (on
    WASM, as the CLI finds it) and the page says the detector moved."""
    lost = sum(w.evaluate("() => (self.__devices || []).map(d => d.destroy()).length") for w in gpu_app.workers)
    assert lost >= 1, f"no GPU device was found to destroy in {gpu_app.worker_urls}"
    name = PHOTOS[1]
    gpu_app.upload([MEDIA / name])
    result = gpu_app.page.locator(".result", has=gpu_app.page.locator(".name", has_text=name)).last
    assert result.get_attribute("data-state") == "done", result.locator(".status").text_content()
    assert same_regions(gpu_app.data(result, "regions"), on_cli[name])
    assert gpu_app.page.evaluate("document.body.dataset.backend") == "wasm"
    assert gpu_app.page.text_content("#load-status") == "WebGPU failed; the detector now runs on the CPU (WebAssembly)."


def test_a_webgpu_visit_keeps_the_webgpu_runtime_for_offline_use_and_not_the_wasm_one(playwright):
    """The service worker is told the backend (web/offline.js) and precaches what that backend loads: the
    asyncify runtime, not the plain WASM one nor the int8 stream model (tools/site_files.BACKEND_FILES)."""
    browser = launch(playwright, webgpu=True)
    try:
        with local_site() as url:
            app = App(browser, url, service_workers="allow")
            app.page.goto(url)
            app.page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=120_000)
            script = app.page.evaluate("navigator.serviceWorker.controller.scriptURL")
            cached = set(app.page.evaluate("""async () => {
              const cache = await caches.open((await caches.keys())[0]);
              return (await cache.keys()).map((r) => r.url.slice(location.origin.length + 1));
            }"""))
            app.close()
    finally:
        browser.close()
    assert script.endswith("service-worker.js?backend=webgpu"), script
    assert set(site_files.manifest()["precache"]["webgpu"]) <= cached
    assert "vendor/ort/ort-wasm-simd-threaded.asyncify.wasm" in cached
    assert {"vendor/ort/ort-wasm-simd-threaded.wasm", STREAM_MODEL_FILE}.isdisjoint(cached)
