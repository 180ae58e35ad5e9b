// The live camera as a frame job. The page transfers the camera's stream of VideoFrames here; the
// newest frame waits while Python works on the previous one (older ones are closed unseen), and
// only frames that came back obscured are sent to the page to show, or recorded.
import * as mb from "../../vendor/mediabunny/mediabunny.min.mjs";
import { videoEncoding } from "./encoding.js";
import { FrameJob } from "./frame-job.js";
import { on, post } from "./port.js";

let offered = null;              // {readable, width, height} from the page, waiting for openCamera()
let waiting = null;              // openCamera()'s resolve, while it waits for the page
let current = null;              // the running CameraJob

on("camera-start", (data) => {
  offered = data;
  waiting?.(data);
});
on("camera-stop", () => current?.stop());
on("camera-settings", ({ settings }) => { if (current) current.settings = settings; });
on("record-start", () => current?.startRecording());
on("record-stop", () => current?.stopRecording());

const now = () => performance.timeOrigin + performance.now();    // comparable with the page's clock

export async function openCamera() {
  const data = offered || await new Promise((resolve) => { waiting = resolve; });
  offered = waiting = null;
  current?.stop();
  current = new CameraJob(data.readable, data.width, data.height);
  return current;
}

class CameraJob extends FrameJob {
  constructor(readable, width, height) {
    super(width, height);
    this.reader = readable.getReader();
    this.running = true;
    this.received = 0;              // camera frames read
    this.shown = 0;                 // frames sent to the page
    this.failed = 0;                // frames that could not be processed (never shown)
    this.lastNumber = 0;
    this.pending = null;            // the newest unprocessed frame {frame, number, at}
    this.wake = null;
    this.settings = null;           // new settings from the page, not yet taken
    this.recorder = null;
    this.pump();
  }

  async pump() {
    while (this.running) {
      let step;
      try { step = await this.reader.read(); } catch { break; }
      if (step.done) break;
      this.received++;
      this.pending?.frame.close();                                  // dropped: never shown
      this.pending = { frame: step.value, number: this.received, at: now() };
      this.wake?.();
    }
    this.stop();
  }

  // Draws the newest camera frame on the canvas: true, or null once stopped. `gap` counts the frames
  // since the last one.
  async next() {
    this.current = null;
    while (this.running && !this.pending) await new Promise((resolve) => { this.wake = resolve; });
    this.wake = null;
    if (!this.running) return null;
    const { frame, number, at } = this.pending;
    this.pending = null;
    this.gap = number - this.lastNumber;
    this.lastNumber = number;
    this.current = { at };
    this.context.drawImage(frame, 0, 0, this.width, this.height);
    frame.close();
    return true;
  }

  // A frame that could not be processed is not shown at all (nor recorded): the live view keeps the
  // last anonymised frame, and the page counts what was dropped.
  async commit(regions, patches) {
    if (!regions) { this.failed++; return; }
    await super.commit(regions, patches);
  }

  takeSettings() {
    const settings = this.settings;
    this.settings = null;
    return settings;
  }

  async emit() {
    if (!this.running) return;
    await this.record();
    this.shown++;
    const bitmap = this.canvas.transferToImageBitmap();
    post({ type: "camera-frame", bitmap, shown: this.shown, received: this.received, failed: this.failed,
           capturedAt: this.current.at }, [bitmap]);
  }

  // ---- recording: the shown (anonymised) frames, encoded like video exports ----------------------

  async startRecording() {
    const output = new mb.Output({ format: new mb.Mp4OutputFormat({ fastStart: "in-memory" }), target: new mb.BufferTarget() });
    const source = new mb.VideoSampleSource(videoEncoding("avc", { sizeChangeBehavior: "contain" }));
    output.addVideoTrack(source);
    this.recorder = { output, source, started: null, frames: 0, ready: output.start() };
  }

  async record() {
    const rec = this.recorder;
    if (!rec) return;
    await rec.ready;
    rec.started ??= now();
    const sample = new mb.VideoSample(this.canvas, { timestamp: (now() - rec.started) / 1000 });
    try { await rec.source.add(sample); rec.frames++; } finally { sample.close(); }
  }

  async stopRecording() {
    const rec = this.recorder;
    if (!rec) return;
    this.recorder = null;
    await rec.ready;
    if (!rec.frames) { await rec.output.cancel(); post({ type: "recording", data: null, frames: 0 }); return; }
    await rec.output.finalize();
    const data = rec.output.target.buffer;
    post({ type: "recording", data, frames: rec.frames }, [data]);
  }

  stop() {
    if (!this.running) return;
    this.running = false;
    this.pending?.frame.close();
    this.pending = null;
    this.wake?.();
    this.reader.cancel().catch(() => {});
    this.stopRecording();
    if (current === this) current = null;
  }

  async finish() { this.stop(); }
  async cancel() { this.stop(); }
}
