// A video file as a frame job (mediabunny over WebCodecs): its frames in order, each encoded with
// its own timestamp once obscured; the original audio copied packet for packet; the export written
// to the Origin Private File System as it is encoded. Packets go to the page's player as they come.
import * as mb from "../../vendor/mediabunny/mediabunny.min.mjs";
import { videoEncoding } from "./encoding.js";
import { FrameJob } from "./frame-job.js";
import { namedError, on, post } from "./port.js";

const OUTPUTS = {          // input container -> what we write (streamed to disk: no in-memory index)
  webm: { format: () => new mb.WebMOutputFormat(), video: "vp9", mime: "video/webm", extension: ".webm" },
  mp4: { format: () => new mb.Mp4OutputFormat({ fastStart: false }), video: "avc", mime: "video/mp4", extension: ".mp4" },
};
const EXPORT_DIR = "plateblur-exports";   // in the Origin Private File System
const AUDIO_LEAD_S = 0.5;                 // audio packets are muxed this far ahead of the video
const REPORT_EVERY_MS = 100;              // progress and new packets go to the page at most this often

const cancelled = new Set();              // ids the page cancelled (also before they started)
on("cancel", ({ id }) => cancelled.add(id));

// The export file, written as it is encoded; where OPFS is missing it is built in memory instead.
async function exportTarget(extension) {
  try {
    const folder = await (await navigator.storage.getDirectory()).getDirectoryHandle(EXPORT_DIR, { create: true });
    const name = `${Date.now()}-${Math.random().toString(36).slice(2)}${extension}`;
    const handle = await folder.getFileHandle(name, { create: true });
    return { target: new mb.StreamTarget(await handle.createWritable(), { chunked: true }), handle, folder, name };
  } catch {
    return { target: new mb.BufferTarget() };
  }
}

// Deletes export files left by earlier visits (older than `hours`: another open tab may be writing a newer one).
export async function clearExports(hours = 6) {
  try {
    const folder = await (await navigator.storage.getDirectory()).getDirectoryHandle(EXPORT_DIR);
    for await (const [name, handle] of folder.entries()) {
      const file = await handle.getFile();
      if (Date.now() - file.lastModified > hours * 3600e3) await folder.removeEntry(name);
    }
  } catch { /* nothing to clear */ }
}

async function primaryVideoTrack(input) {
  let readable = false;
  try { readable = await input.canRead(); } catch { readable = false; }
  if (!readable) throw namedError("VideoError", "not a video this page can read (MP4, MOV, WebM or MKV)");
  const video = await input.getPrimaryVideoTrack();
  if (!video) throw namedError("VideoError", "the file has no video track");
  const codec = await video.getCodec();
  if (!(await video.canDecode())) {
    throw namedError("VideoError", `this browser cannot decode ${codec ? codec.toUpperCase() : "this"} video; try H.264, VP8, VP9 or AV1`);
  }
  if (!(await new mb.EncodedPacketSink(video).getFirstPacket())) throw namedError("VideoError", "the video has no frames");
  return video;
}

export class VideoFileJob extends FrameJob {
  static async open(id, file) {
    if (cancelled.delete(id)) throw namedError("Cancelled", "cancelled");
    const input = new mb.Input({ source: new mb.BlobSource(file), formats: mb.ALL_FORMATS });
    try {
      const video = await primaryVideoTrack(input);
      const job = new VideoFileJob(id, input, video, await video.getDisplayWidth(), await video.getDisplayHeight());
      await job.start(await input.getPrimaryAudioTrack());
      return job;
    } catch (error) {
      input.dispose();
      if (["VideoError", "Cancelled"].includes(error.name)) throw error;
      throw namedError("VideoError", `the video file is damaged or incomplete (${error.message || error})`);
    }
  }

  constructor(id, input, video, width, height) {
    super(width, height);
    Object.assign(this, { id, input, video, frames: 0, packets: [], decoderConfig: null, notes: [], reported: 0 });
  }

  async start(audio) {
    const stats = await this.video.computePacketStats(Infinity);
    this.frameCount = stats.packetCount;
    const info = { width: this.width, height: this.height, duration: await this.video.computeDuration(),
                   frames: this.frameCount, fps: stats.averagePacketRate };
    const mime = await this.input.getMimeType();
    this.output = OUTPUTS[mime.includes("webm") || mime.includes("matroska") ? "webm" : "mp4"];
    this.samples = new mb.VideoSampleSink(this.video).samples();
    this.spill = await exportTarget(this.output.extension);
    this.muxer = new mb.Output({ format: this.output.format(), target: this.spill.target });
    this.videoSource = new mb.VideoSampleSource(videoEncoding(this.output.video, {
      onEncodedPacket: (packet, meta) => {
        if (meta?.decoderConfig) this.decoderConfig = meta.decoderConfig;
        this.packets.push({ timestamp: packet.microsecondTimestamp, duration: packet.microsecondDuration,
                            key: packet.type === "key", data: packet.data.slice().buffer });
      },
    }));
    this.muxer.addVideoTrack(this.videoSource, { frameRate: info.fps });
    await this.addAudioTrack(audio);
    await this.muxer.start();
    post({ type: "video-info", id: this.id, info });
  }

  async addAudioTrack(audio) {
    if (!audio) return;
    const codec = await audio.getCodec();
    if (!codec || !this.muxer.format.getSupportedAudioCodecs().includes(codec)) {
      this.notes.push(`audio (${codec || "unknown codec"}) cannot be copied into ${this.output.extension} and was left out`);
      return;
    }
    this.audioSource = new mb.EncodedAudioPacketSource(codec);
    this.muxer.addAudioTrack(this.audioSource);
    this.audioConfig = await audio.getDecoderConfig();
    this.audioPackets = new mb.EncodedPacketSink(audio).packets();
    this.audioNext = null;
    this.audioFirst = true;
  }

  // Copies the original audio packets (not re-encoded) up to `until` seconds.
  async copyAudio(until) {
    while (this.audioSource) {
      if (!this.audioNext) {
        const { value, done } = await this.audioPackets.next();
        if (done) { this.audioSource = null; return; }
        this.audioNext = value;
      }
      if (this.audioNext.timestamp > until) return;
      await this.audioSource.add(this.audioNext, this.audioFirst ? { decoderConfig: this.audioConfig } : undefined);
      this.audioFirst = false;
      this.audioNext = null;
    }
  }

  // The next frame's RGBA pixels (the canvas keeps the frame for commit), or null at the end.
  async next() {
    if (cancelled.has(this.id)) throw namedError("Cancelled", "cancelled");
    this.current?.close();
    let step;
    try {
      step = await this.samples.next();
    } catch (error) {
      throw namedError("VideoDamaged", `the video is damaged or incomplete: it could be read only up to frame ${this.frames} `
                                       + `(${String(error.message || error).split("\n")[0].slice(0, 160)})`);
    }
    if (step.done) { this.current = null; return null; }
    this.current = step.value;
    this.current.drawWithFit(this.context, { fit: "fill" });
    return this.pixels();
  }

  // Encodes the canvas as the output frame, with the input frame's own timestamp and duration.
  async emit() {
    const { timestamp, duration } = this.current;
    await this.copyAudio(timestamp + AUDIO_LEAD_S);
    const sample = new mb.VideoSample(this.canvas, { timestamp, duration });
    try { await this.videoSource.add(sample); } finally { sample.close(); }
    this.frames++;
    if (performance.now() - this.reported >= REPORT_EVERY_MS) this.report();
  }

  // Frames done and the packets encoded since the last report, transferred to the page's player.
  report() {
    const packets = this.packets;
    this.packets = [];
    this.reported = performance.now();
    post({ type: "video-progress", id: this.id, done: this.frames, packets, config: this.decoderConfig },
         packets.map((p) => p.data));
  }

  async finish() {
    this.current?.close();
    this.current = null;
    if (this.frames < this.frameCount) {
      throw namedError("VideoDamaged", `the video is damaged or incomplete: only ${this.frames} of its ${this.frameCount} frames could be read`);
    }
    await this.copyAudio(Infinity);
    await this.muxer.finalize();
    this.report();
    cancelled.delete(this.id);
    const data = this.spill.handle ? await this.spill.handle.getFile() : new Blob([this.muxer.target.buffer]);
    this.input.dispose();
    return { data, mime: this.output.mime, extension: this.output.extension, notes: this.notes };
  }

  async cancel() {
    cancelled.delete(this.id);
    this.current?.close();
    this.current = null;
    try { await this.muxer.cancel(); } catch { /* already finished */ }
    if (this.spill?.handle) await this.spill.folder.removeEntry(this.spill.name).catch(() => {});
    this.input.dispose();
  }
}
