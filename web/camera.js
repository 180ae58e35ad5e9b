// Live camera: only frames that came back from the worker detected and obscured are ever drawn.
// While the worker is busy, the newest camera frame waits (older ones are dropped, never shown) and
// goes next, so the worker never idles waiting for the camera.
import * as mb from "../vendor/mediabunny/mediabunny.min.mjs";

const MESSAGES = {
  NotAllowedError: "Camera permission was denied. Allow the camera for this page in the browser's site settings, then try again.",
  SecurityError: "The browser does not allow the camera here (it needs https or localhost).",
  NotFoundError: "No camera was found. Connect one, then try again.",
  OverconstrainedError: "The chosen camera is not available any more. Pick another one.",
  NotReadableError: "The camera is in use by another application or blocked by the system. Close it there, then try again.",
  AbortError: "The camera could not be started. Close other applications that use it, then try again.",
};

export function cameraMessage(error) {
  return MESSAGES[error?.name] || `The camera could not be started (${error?.message || error}).`;
}

export class LiveCamera {
  constructor({ canvas, status, select, settings, sync, onState, onRecording }) {
    Object.assign(this, { canvas, status, select, settings, sync, onState, onRecording });
    this.context = canvas.getContext("2d");
    this.running = false;
  }

  async start(deviceId) {
    if (!navigator.mediaDevices?.getUserMedia) throw Object.assign(new Error("no camera API"), { name: "NotFoundError" });
    const video = deviceId ? { deviceId: { exact: deviceId } } : { facingMode: "environment" };
    this.stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
    this.running = true;
    this.received = 0;
    this.shown = 0;
    this.lastProcessed = 0;
    this.latencies = [];
    this.shownTimes = [];
    await this.sync().camera_reset();
    await this.listCameras();
    this.readFrames(this.stream.getVideoTracks()[0]);
    this.onState();
  }

  async listCameras() {
    const current = this.stream.getVideoTracks()[0].getSettings().deviceId;
    const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
    this.select.replaceChildren(...cameras.map((d, i) => new Option(d.label || `Camera ${i + 1}`, d.deviceId, false, d.deviceId === current)));
    this.select.hidden = cameras.length < 2;
  }

  async readFrames(track) {
    const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
    this.reader = reader;
    while (this.running) {
      let result;
      try { result = await reader.read(); } catch { break; }
      if (result.done) break;
      this.received++;
      this.pending?.frame.close();                               // dropped: never shown
      this.pending = { frame: result.value, number: this.received, read: performance.now() };
      if (!this.busy) this.next();
    }
    if (this.running) this.stop("The camera stopped sending pictures.");
  }

  next() {
    const job = this.pending;
    if (!job || !this.running) return;
    this.pending = null;
    this.busy = true;
    this.process(job.frame, job.number, job.read).finally(() => {
      this.busy = false;
      this.next();
    });
  }

  async process(frame, number, captured) {
    const w = frame.displayWidth, h = frame.displayHeight;
    if (!this.compose || this.compose.width !== w || this.compose.height !== h) {
      this.compose = new OffscreenCanvas(w, h);
      this.composeContext = this.compose.getContext("2d", { willReadFrequently: true });
      this.canvas.width = w;
      this.canvas.height = h;
    }
    const ctx = this.composeContext;
    ctx.drawImage(frame, 0, 0, w, h);
    frame.close();
    const image = ctx.getImageData(0, 0, w, h);
    const gap = number - this.lastProcessed;
    this.lastProcessed = number;
    let result;
    try {
      result = await this.sync().camera_frame(image.data, w, h, gap, this.settings());
    } catch (error) {
      result = { ok: false, error: String(error) };
    }
    if (!this.running) return;
    if (!result.ok) {                          // fail closed: nothing of this frame is shown
      console.warn("camera frame not processed:", result.error);
      return;
    }
    result.regions.forEach(([x1, y1, x2, y2], i) => {
      ctx.putImageData(new ImageData(new Uint8ClampedArray(result.patches[i].buffer), x2 - x1, y2 - y1), x1, y1);
    });
    this.context.drawImage(this.compose, 0, 0);
    const now = performance.now();
    this.shown++;
    this.latencies.push(now - captured);
    this.shownTimes.push(now);
    if (this.latencies.length > 30) this.latencies.shift();
    while (this.shownTimes.length && now - this.shownTimes[0] > 2000) this.shownTimes.shift();
    this.canvas.dataset.shown = this.shown;
    this.canvas.dataset.received = this.received;
    this.canvas.dataset.latency = (now - captured).toFixed(1);
    await this.recordFrame(now);
    this.report();
  }

  fps() {
    const t = this.shownTimes;
    return t.length > 1 ? (1000 * (t.length - 1)) / (t.at(-1) - t[0]) : 0;
  }

  report() {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const latency = sorted[Math.floor(sorted.length / 2)] || 0;
    const share = this.received ? Math.round((100 * this.shown) / this.received) : 0;
    this.status.textContent = `${this.fps().toFixed(1)} fps shown · latency ${Math.round(latency)} ms · `
      + `${share}% of camera frames shown${this.recorder ? " · recording" : ""}`;
  }

  // ---- recording: the shown (anonymised) frames, encoded like video exports -------------------

  async startRecording() {
    const output = new mb.Output({ format: new mb.Mp4OutputFormat({ fastStart: "in-memory" }), target: new mb.BufferTarget() });
    const source = new mb.VideoSampleSource({ codec: "avc", bitrate: mb.QUALITY_HIGH, keyFrameInterval: 1,
                                              sizeChangeBehavior: "contain" });
    output.addVideoTrack(source);
    await output.start();
    this.recorder = { output, source, started: null, frames: 0 };
    this.onState();
  }

  async recordFrame(now) {
    const rec = this.recorder;
    if (!rec) return;
    rec.started ??= now;
    const sample = new mb.VideoSample(this.canvas, { timestamp: (now - rec.started) / 1000 });
    try { await rec.source.add(sample); rec.frames++; } finally { sample.close(); }
  }

  async stopRecording() {
    const rec = this.recorder;
    if (!rec) return;
    this.recorder = null;
    this.onState();
    if (!rec.frames) { await rec.output.cancel(); return; }
    await rec.output.finalize();
    this.onRecording(new Blob([rec.output.target.buffer], { type: "video/mp4" }), rec.frames);
  }

  async stop(message = "") {
    this.running = false;
    this.pending?.frame.close();
    this.pending = null;
    await this.stopRecording();
    this.reader?.cancel().catch(() => {});
    this.stream?.getTracks().forEach((t) => t.stop());          // releases the camera
    this.stream = null;
    this.status.textContent = message || "Camera off.";
    this.onState();
  }
}
