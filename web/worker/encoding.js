// The one video encoder configuration of the app: video exports and camera recordings.
import * as mb from "../../vendor/mediabunny/mediabunny.min.mjs";

export const KEY_FRAME_INTERVAL_S = 1;     // the player seeks from key frames

export function videoEncoding(codec, extra = {}) {
  return { codec, bitrate: mb.QUALITY_HIGH, keyFrameInterval: KEY_FRAME_INTERVAL_S, ...extra };
}
