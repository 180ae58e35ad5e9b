// The live camera on the main thread: asks for the camera, hands its stream of frames to the
// worker (transferred), and draws the frames that come back anonymised. No pixel work happens here;
// a frame that never comes back is never shown. The status line (not a live region: it changes with
// every frame) shows the rates; onState() announces what changes.
import { errorMessage } from "./card.js";
import { decimal, msg, text } from "./i18n/index.js";

// A camera error's message (web/i18n: camera.error.<DOMException name>).
const NAMED = ["NotAllowedError", "SecurityError", "NotFoundError", "OverconstrainedError", "NotReadableError", "AbortError"];

export function cameraMessage(error) {
  return NAMED.includes(error?.name) ? msg(`camera.error.${error.name}`)
    : msg("camera.error.other", { detail: error?.message || String(error) });
}

const now = () => performance.timeOrigin + performance.now();    // comparable with the worker's clock

export class LiveCamera {
  // client: WorkerClient; settings(): the camera's settings now (SettingsForm.cameraValues); onState():
  // buttons; onRecording(blob, frames)
  constructor({ canvas, status, select, client, settings, onState, onRecording }) {
    Object.assign(this, { canvas, status, select, client, settings, onState, onRecording });
    this.context = canvas.getContext("2d");
    this.running = false;
    this.recording = false;
    client.on("camera-frame", (frame) => this.show(frame));
    client.on("recording", ({ data, frames }) => {
      if (data) this.onRecording(new Blob([data], { type: "video/mp4" }), frames);
    });
  }

  async start(deviceId) {
    if (!navigator.mediaDevices?.getUserMedia) throw Object.assign(new Error("no camera API"), { name: "NotFoundError" });
    const video = deviceId ? { deviceId: { exact: deviceId } } : { facingMode: "environment" };
    this.stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
    const track = this.stream.getVideoTracks()[0];
    const { width, height } = track.getSettings();
    this.canvas.width = width;
    this.canvas.height = height;
    Object.assign(this, { running: true, latencies: [], shownTimes: [] });
    await this.listCameras(track);
    const readable = new MediaStreamTrackProcessor({ track }).readable;
    this.client.post({ type: "camera-start", readable, width, height }, [readable]);
    this.onState();
    const result = await this.client.api.run_camera(this.settings());   // until the camera stops
    if (this.running) {
      this.stop(result.ok ? msg("camera.noPictures") : msg("camera.viewStopped", { detail: errorMessage(result) }));
    }
  }

  async listCameras(track) {
    const current = track.getSettings().deviceId;
    const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
    this.select.replaceChildren(...cameras.map((d, i) => {
      const option = new Option("", d.deviceId, false, d.deviceId === current);
      text(option, d.label || msg("camera.name", { n: i + 1 }));
      return option;
    }));
    this.select.hidden = cameras.length < 2;
  }

  settingsChanged() {
    if (this.running) this.client.post({ type: "camera-settings", settings: this.settings() });
  }

  show({ bitmap, shown, received, failed, capturedAt }) {
    if (!this.running) { bitmap.close(); return; }
    this.context.drawImage(bitmap, 0, 0, this.canvas.width, this.canvas.height);
    bitmap.close();
    const t = now();
    this.latencies.push(t - capturedAt);
    if (this.latencies.length > 30) this.latencies.shift();
    this.shownTimes.push(t);
    while (this.shownTimes.length && t - this.shownTimes[0] > 2000) this.shownTimes.shift();
    Object.assign(this.canvas.dataset, { shown, received, failed, latency: (t - capturedAt).toFixed(1) });
    this.report(shown, received, failed);
  }

  report(shown, received, failed) {
    const times = this.shownTimes;
    const fps = times.length > 1 ? (1000 * (times.length - 1)) / (times.at(-1) - times[0]) : 0;
    const latency = [...this.latencies].sort((a, b) => a - b)[Math.floor(this.latencies.length / 2)] || 0;
    const share = received ? Math.round((100 * shown) / received) : 0;
    const parts = [msg("camera.stats", { fps: decimal(fps, 1), latency: Math.round(latency), share })];
    if (failed) parts.push(msg("camera.statsFailed", { count: failed }));
    if (this.recording) parts.push(msg("camera.statsRecording"));
    text(this.status, msg(`list.${parts.length}`, { a: parts[0], b: parts[1], c: parts[2] }));
  }

  toggleRecording() {
    this.recording = !this.recording;
    this.client.post({ type: this.recording ? "record-start" : "record-stop" });
    this.onState();
  }

  async stop(message = msg("camera.off")) {
    const wasRunning = this.running;
    this.running = false;
    if (this.recording) this.toggleRecording();
    if (wasRunning) this.client.post({ type: "camera-stop" });
    this.stream?.getTracks().forEach((t) => t.stop());          // releases the camera
    this.stream = null;
    text(this.status, message);
    this.onState();
  }
}
