"""A worker that dies or hangs mid-video: that item fails with a plain message within seconds, nothing
raw is offered, a new worker starts and the queue goes on with it."""
from __future__ import annotations

import re
import time

import pytest

from tools.testkit import MEDIA, REPO_ROOT, media

pytest.importorskip("av")

SILENCE_LIMIT_S = 15          # web/worker-client.js SILENCE_LIMIT_MS
STOPPED = ("Not processed: the anonymiser stopped (out of memory or a crash) and was restarted; "
           "try again, or try a smaller file")
HUNG = (f"Not processed: the anonymiser stopped responding for {SILENCE_LIMIT_S} s and was restarted; "
        "try again, or try a smaller file")


@pytest.fixture(scope="module")
def clips():
    return media.ensure_media()


def test_the_silence_limit_is_the_one_the_page_uses():
    source = (REPO_ROOT / "web" / "worker-client.js").read_text()
    assert re.search(r"SILENCE_LIMIT_MS = (\d+)_000;", source).group(1) == str(SILENCE_LIMIT_S)


def python_worker(page):
    """The page's PyScript worker (PyScript starts it from a blob: URL; onnxruntime's own threads
    are module workers of vendor/ort)."""
    workers = [w for w in page.workers if w.url.startswith("blob:")]
    assert len(workers) == 1, [w.url for w in page.workers]
    return workers[0]


def start_video_then_photo(app, clips):
    """pan.mp4 with a photo queued behind it; returns once the video's frames are being processed."""
    before = app.results().count()
    app.page.set_input_files("input[type=file]", [str(clips / "pan.mp4"), str(MEDIA / "openimages-08.jpg")])
    app.page.wait_for_function(
        "() => [...document.querySelectorAll('.result.video .frames')].some((p) => p.value > 0)", timeout=120_000)
    return before


def seconds_until_failed(app, card, limit_s: float) -> float:
    started = time.monotonic()
    card.locator(".status[role=alert]").wait_for(timeout=limit_s * 1000)
    return time.monotonic() - started


def check_failed_then_queue_goes_on(app, card, message, before):
    assert card.get_attribute("data-state") == "error"
    assert card.locator(".status").text_content() == message
    assert card.locator("a[download]").is_hidden(), "a partial export is offered"
    assert card.locator("canvas[data-role=playback]").is_hidden(), "a partial video is still shown"
    app.wait_settled(before + 2)
    photo = app.result("openimages-08.jpg")
    assert photo.get_attribute("data-state") == "done", photo.locator(".status").text_content()
    status = app.page.text_content("#load-status")
    assert re.match(r"Ready \(detector on the (GPU \(WebGPU\)|CPU \(WebAssembly\)), restarted, loaded in ", status), status
    app.upload([MEDIA / "street-07.jpg"])                      # the new worker takes new files too
    assert app.result("street-07.jpg").get_attribute("data-state") == "done"


def test_a_worker_that_closes_mid_video_fails_that_video_and_a_new_one_goes_on(app, clips):
    before = start_video_then_photo(app, clips)
    card = app.page.locator(".result.video").last
    python_worker(app.page).evaluate("() => { setTimeout(() => self.close(), 0); }")
    took = seconds_until_failed(app, card, 10)
    check_failed_then_queue_goes_on(app, card, STOPPED, before)
    print(f"worker closed: the video failed after {took:.1f} s")


def test_a_worker_that_hangs_mid_video_is_given_up_after_the_silence_limit(app, clips):
    before = start_video_then_photo(app, clips)
    card = app.page.locator(".result.video").last
    # the worker's JS spins for a minute: no ping is answered (the page ends it long before)
    python_worker(app.page).evaluate(
        "() => { setTimeout(() => { const end = Date.now() + 60_000; while (Date.now() < end); }, 0); }")
    took = seconds_until_failed(app, card, SILENCE_LIMIT_S + 10)
    assert took >= SILENCE_LIMIT_S - 1, f"given up after {took:.1f} s, before the silence limit"
    check_failed_then_queue_goes_on(app, card, HUNG, before)
    print(f"worker hung: the video failed after {took:.1f} s")


def test_no_ping_waited_long_while_photos_and_videos_were_processed(app):
    """The legitimate silences of this module's work (photos, video frames, start-ups) stay far
    below the limit."""
    longest = app.page.evaluate("() => window.plateblur.longestSilenceMs")
    print(f"longest unanswered ping: {longest:.0f} ms")
    assert longest < SILENCE_LIMIT_S * 1000 / 3
