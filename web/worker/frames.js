// The worker's frame sources and sinks, for Python (py/plateblur/browser/bridge.py FrameJob):
// openVideo(id, file) and openCamera() give jobs with next() -> RGBA pixels and commit(regions, patches).
import { openCamera } from "./camera-feed.js";
import { VideoFileJob, clearExports } from "./video-file.js";

export { clearExports, openCamera };

export function openVideo(id, file) {
  return VideoFileJob.open(id, file);
}
