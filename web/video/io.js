// Video source and sink for the Python worker, WebCodecs-shaped, on top of mediabunny.
// VideoJob: open(file) -> next() frame pixels -> patch() obscured regions -> emit() -> finish() file.
// Runs in the PyScript worker (no DOM): frames are drawn on an OffscreenCanvas.
import * as mb from "../../vendor/mediabunny/mediabunny.min.mjs";

export class VideoError extends Error {}

const OUTPUTS = {          // input container -> what we write (streamed to disk: no in-memory index)
  webm: { format: () => new mb.WebMOutputFormat(), video: "vp9", mime: "video/webm", extension: ".webm" },
  mp4: { format: () => new mb.Mp4OutputFormat({ fastStart: false }), video: "avc", mime: "video/mp4", extension: ".mp4" },
};
const SPILL_DIR = "plateblur-exports";   // in the Origin Private File System

// The export is written to a file in the Origin Private File System as it is encoded, so a long
// video's output does not sit in memory. Where OPFS is missing, it is built in memory instead.
async function exportTarget(extension) {
  try {
    const root = await navigator.storage.getDirectory();
    const folder = await root.getDirectoryHandle(SPILL_DIR, { create: true });
    const name = `${Date.now()}-${Math.random().toString(36).slice(2)}${extension}`;
    const handle = await folder.getFileHandle(name, { create: true });
    const writable = await handle.createWritable();
    return { target: new mb.StreamTarget(writable, { chunked: true }), handle, folder, name };
  } catch {
    return { target: new mb.BufferTarget() };
  }
}

// Deletes export files left by earlier visits (older than `hours`; another open tab may be writing
// a newer one).
export async function clearExports(hours = 6) {
  try {
    const folder = await (await navigator.storage.getDirectory()).getDirectoryHandle(SPILL_DIR);
    for await (const [name, handle] of folder.entries()) {
      const file = await handle.getFile();
      if (Date.now() - file.lastModified > hours * 3600e3) await folder.removeEntry(name);
    }
  } catch { /* nothing to clear */ }
}
const KEY_FRAME_INTERVAL_S = 1;      // the player seeks from key frames
const AUDIO_LEAD_S = 0.5;            // audio packets are muxed this far ahead of the video

async function describe(input) {
  let readable = false;
  try { readable = await input.canRead(); } catch { readable = false; }
  if (!readable) throw new VideoError("not a video this page can read (MP4, MOV, WebM or MKV)");
  const video = await input.getPrimaryVideoTrack();
  if (!video) throw new VideoError("the file has no video track");
  const codec = await video.getCodec();
  if (!(await video.canDecode())) {
    throw new VideoError(`this browser cannot decode ${codec ? codec.toUpperCase() : "this"} video; try H.264, VP8, VP9 or AV1`);
  }
  const first = await new mb.EncodedPacketSink(video).getFirstPacket();
  if (!first) throw new VideoError("the video has no frames");
  return video;
}

export class VideoJob {
  static async open(file) {
    const input = new mb.Input({ source: new mb.BlobSource(file), formats: mb.ALL_FORMATS });
    try {
      const video = await describe(input);
      const audio = await input.getPrimaryAudioTrack();
      const job = new VideoJob(input, video, audio);
      await job.start();
      return job;
    } catch (error) {
      input.dispose();
      if (error instanceof VideoError) throw error;
      throw new VideoError(`the video file is damaged or incomplete (${error.message || error})`);
    }
  }

  constructor(input, video, audio) {
    this.input = input;
    this.video = video;
    this.audio = audio;
    this.packets = [];        // encoded output packets not yet taken by the player
    this.decoderConfig = null;
    this.notes = [];
  }

  async start() {
    const v = this.video;
    this.width = await v.getDisplayWidth();
    this.height = await v.getDisplayHeight();
    this.duration = await v.computeDuration();
    const stats = await v.computePacketStats(Infinity);
    this.frameCount = stats.packetCount;
    this.fps = stats.averagePacketRate;
    const mime = await this.input.getMimeType();
    const kind = mime.includes("webm") || mime.includes("matroska") ? "webm" : "mp4";
    this.output = OUTPUTS[kind];
    this.canvas = new OffscreenCanvas(this.width, this.height);
    this.context = this.canvas.getContext("2d", { willReadFrequently: true });
    this.samples = new mb.VideoSampleSink(v).samples();

    this.spill = await exportTarget(this.output.extension);
    this.muxer = new mb.Output({ format: this.output.format(), target: this.spill.target });
    this.videoSource = new mb.VideoSampleSource({
      codec: this.output.video,
      bitrate: mb.QUALITY_HIGH,
      keyFrameInterval: KEY_FRAME_INTERVAL_S,
      onEncodedPacket: (packet, meta) => {
        if (meta?.decoderConfig) this.decoderConfig = meta.decoderConfig;
        this.packets.push({ timestamp: packet.microsecondTimestamp, duration: packet.microsecondDuration,
                            key: packet.type === "key", data: packet.data.slice().buffer });
      },
    });
    this.muxer.addVideoTrack(this.videoSource, { frameRate: this.fps });
    await this.addAudioTrack();
    await this.muxer.start();
  }

  async addAudioTrack() {
    if (!this.audio) return;
    const codec = await this.audio.getCodec();
    if (!codec || !this.muxer.format.getSupportedAudioCodecs().includes(codec)) {
      this.notes.push(`audio (${codec || "unknown codec"}) cannot be copied into ${this.output.extension} and was left out`);
      this.audio = null;
      return;
    }
    this.audioSource = new mb.EncodedAudioPacketSource(codec);
    this.muxer.addAudioTrack(this.audioSource);
    this.audioConfig = await this.audio.getDecoderConfig();
    this.audioPackets = new mb.EncodedPacketSink(this.audio).packets();
    this.audioNext = null;
    this.audioFirst = true;
  }

  // Copies the original audio packets (not re-encoded) up to `until` seconds.
  async copyAudio(until) {
    if (!this.audioSource) return;
    while (true) {
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

  // The next frame as RGBA pixels (the canvas keeps it for patch/emit), or null at the end.
  async next() {
    this.current?.close();
    const { value, done } = await this.samples.next();
    if (done) { this.current = null; return null; }
    this.current = value;
    value.drawWithFit(this.context, { fit: "fill" });
    return {
      timestamp: value.microsecondTimestamp,
      duration: value.microsecondDuration,
      data: this.context.getImageData(0, 0, this.width, this.height).data,
    };
  }

  // Writes obscured pixels (RGBA, w x h) back at (x, y).
  patch(x, y, w, h, rgba) {
    this.context.putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, w * h * 4), w, h), x, y);
  }

  // Fail closed: the whole frame hidden.
  obscureAll() {
    this.context.fillStyle = "#000";
    this.context.fillRect(0, 0, this.width, this.height);
  }

  // Encodes the canvas as the output frame, with the input frame's own timestamp and duration.
  async emit() {
    const { timestamp, duration } = this.current;
    await this.copyAudio(timestamp + AUDIO_LEAD_S);
    const sample = new mb.VideoSample(this.canvas, { timestamp, duration });
    await this.videoSource.add(sample);
    sample.close();
  }

  takePackets() {
    const packets = this.packets;
    this.packets = [];
    return packets;
  }

  async finish() {
    this.current?.close();
    this.current = null;
    await this.copyAudio(Infinity);
    await this.muxer.finalize();
    const data = this.spill.handle ? await this.spill.handle.getFile() : this.muxer.target.buffer;
    this.input.dispose();
    return { data, mime: this.output.mime, extension: this.output.extension };
  }

  async cancel() {
    this.current?.close();
    this.current = null;
    try { await this.muxer.cancel(); } catch { /* already finished */ }
    if (this.spill?.handle) await this.spill.folder.removeEntry(this.spill.name).catch(() => {});
    this.input.dispose();
  }
}
