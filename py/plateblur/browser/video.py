"""Video files in the worker: every frame goes source -> detect -> track -> obscure -> sink.

No frame is written before it has been through detection and obscuring; a frame whose processing
failed is written fully obscured. Encoded output packets go to the page's player as they come."""
from __future__ import annotations

import time

from ..imageio import rgb_from_rgba
from ..settings import Settings
from ..track import Tracker
from . import bridge, stream


class Cancelled(Exception):
    pass


class VideoDamaged(Exception):
    """The file stopped decoding part-way; the message is for the user."""


async def _next_frame(job, frames: int):
    try:
        return await job.next()
    except Exception as exc:
        raise VideoDamaged(f"the video is damaged or incomplete: it could be read only up to frame {frames} "
                           f"({str(exc).splitlines()[0][:160]})") from exc


CANCELLED: set[str] = set()
REPORT_EVERY_S = 0.1      # progress and new packets go to the page at most this often


def cancel(item_id: str) -> None:
    CANCELLED.add(item_id)


class StageClock:
    """Seconds spent per stage, for the benchmark's breakdown."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.mark = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self.mark
        self.mark = now

    def per_frame_ms(self, frames: int) -> dict:
        return {k: round(v * 1000 / max(frames, 1), 2) for k, v in self.seconds.items()}


async def process_video(model, item_id: str, file, settings: Settings) -> dict:
    """Anonymise every frame of ``file``; returns the result for the page (the file's bytes in ``data``)."""
    job = await bridge.video_io.VideoJob.open(file)
    CANCELLED.discard(item_id)
    w, h = int(job.width), int(job.height)
    bridge.send_video_info(item_id, {"width": w, "height": h, "duration": float(job.duration),
                                     "frames": int(job.frameCount), "fps": float(job.fps)})
    tracker = Tracker()
    frames, failed, plates, started = 0, 0, 0, time.perf_counter()
    last_update = -1                      # the frame of the tracker's last update
    reported = started
    clock = StageClock()
    try:
        while (frame := await _next_frame(job, frames)) is not None:
            clock.lap("decode")
            if item_id in CANCELLED:
                raise Cancelled()
            try:
                rgb = rgb_from_rgba(bridge.to_bytes(frame.data), w, h)
                since = frames - last_update if last_update >= 0 else 1
                if frames % settings.detect_every == 0:
                    tracked = tracker.update(await stream.detect(model, rgb, settings, clock.lap), frames=since)
                    last_update = frames
                else:
                    tracked = tracker.predict(since)
                clock.lap("postprocess")
                regions, patches = stream.patches_for_js(rgb, tracked, settings)
                for (x1, y1, x2, y2), patch in zip(regions, patches):   # the canvas still holds the frame
                    job.patch(x1, y1, x2 - x1, y2 - y1, patch)
                clock.lap("obscure")
                plates = max(plates, len(regions))
            except Exception as exc:  # fail closed: never write this frame unobscured
                failed += 1
                job.obscureAll()
                print(f"frame {frames} failed and was fully obscured: {type(exc).__name__}: {exc}")
            await job.emit()
            clock.lap("encode")
            frames += 1
            if time.perf_counter() - reported >= REPORT_EVERY_S:    # each report is a round trip to the page
                bridge.send_video_progress(item_id, frames, job.takePackets(), job.decoderConfig)
                reported = time.perf_counter()
                clock.lap("report")
        if frames < int(job.frameCount):
            raise VideoDamaged(f"the video is damaged or incomplete: only {frames} of its "
                               f"{int(job.frameCount)} frames could be read")
        result = await job.finish()
    except BaseException:
        await job.cancel()
        raise
    finally:
        CANCELLED.discard(item_id)
    bridge.send_video_progress(item_id, frames, job.takePackets(), job.decoderConfig)
    seconds = time.perf_counter() - started
    return {"ok": True, "id": item_id, "kind": "video", "width": w, "height": h, "frames": frames,
            "failed_frames": failed, "max_regions": plates, "fps": round(frames / seconds, 2),
            "stage_ms": clock.per_frame_ms(frames),
            "mime": str(result.mime), "extension": str(result.extension), "notes": list(job.notes.to_py()),
            "data": result.data}
