"""Screenshots for the README, made from the page itself so they stay current:
docs/before-after.png (a photo result with a face and a plate, the original shown up to the first
region) and docs/camera.png
(the live camera view, fed with the test clip through Chromium's fake camera).

    .venv/bin/python -m tools.screenshots [--lang en|de]      (after tools/setup --test)
"""
from __future__ import annotations

import argparse
import io

from PIL import Image

from tools.testkit import FACE_PHOTO, REPO_ROOT, media
from tools.testkit.page_driver import App, chromium, local_site

OUT = REPO_ROOT / "docs"
PHOTO = FACE_PHOTO             # a man washing a car: a face and a plate
WIDTH = 900                      # CSS px of the window; the PNGs are scaled to this width at most
COLOURS = 128                    # a palette keeps the PNGs small


def save(png: bytes, path) -> None:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.width > WIDTH:
        image = image.resize((WIDTH, round(image.height * WIDTH / image.width)), Image.LANCZOS)
    image.quantize(COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"{path.relative_to(REPO_ROOT)}: {image.width}x{image.height}, {path.stat().st_size // 1024} KiB")


def before_after(url: str, lang: str) -> None:
    with chromium() as browser:
        app = App(browser, url, viewport={"width": WIDTH, "height": 900}, locale=lang).open()
        try:
            app.upload([PHOTO])
            card = app.result(PHOTO.name)
            # the original from the left up to just before the first region: the picture shows the
            # slider and the obscured face and plate, without publishing either again
            x1 = min(region[0] for region in app.data(card, "regions"))
            width = Image.open(PHOTO).size[0]
            card.locator("[data-action=compare]").fill(str(max(0, int(100 * x1 / width) - 2)))
            app.page.evaluate("document.activeElement.blur()")
            app.page.mouse.move(0, 0)
            save(card.screenshot(animations="disabled"), OUT / "before-after.png")
        finally:
            app.close()


def camera(url: str, lang: str) -> None:
    clip = media.ensure_media() / "camera.y4m"
    args = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={clip}"]
    with chromium(args) as browser:
        app = App(browser, url, viewport={"width": 1200, "height": 760}, locale=lang).open()
        try:
            app.page.click("[data-action=camera-start]")
            app.page.wait_for_function(
                "() => Number(document.querySelector('canvas[data-role=live]').dataset.shown) >= 10", timeout=60_000)
            app.page.click("[data-action=record]")
            app.page.wait_for_timeout(2500)
            app.page.locator(".workspace").scroll_into_view_if_needed()
            save(app.page.locator(".workspace").screenshot(animations="disabled"), OUT / "camera.png")
            app.page.click("[data-action=record]")
        finally:
            app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lang", default="en-US", help="the browser's language (en-US, de-DE)")
    lang = parser.parse_args().lang
    OUT.mkdir(exist_ok=True)
    with local_site() as url:
        before_after(url, lang)
        camera(url, lang)


if __name__ == "__main__":
    main()
