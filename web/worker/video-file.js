// A video file as a frame job (mediabunny over WebCodecs): its frames in order, each encoded with
// its own timestamp once obscured (variable frame rates stay as they are); every audio track copied
// packet for packet; the export written to the Origin Private File System as it is encoded
// (web/exports.js). Packets go to the page's player as they come.
import * as mb from "../../vendor/mediabunny/mediabunny.min.mjs";
import { clearExports, createExport } from "../exports.js";
import { videoEncoding } from "./encoding.js";
import { FrameJob } from "./frame-job.js";
import { namedError, note, on, post } from "./port.js";

const OUTPUTS = {          // input container -> what we write (streamed to disk: no in-memory index)
  webm: { format: () => new mb.WebMOutputFormat(), video: ["vp9", "vp8", "av1"], mime: "video/webm", extension: ".webm" },
  mp4: { format: () => new mb.Mp4OutputFormat({ fastStart: false }), video: ["avc", "vp9", "av1"], mime: "video/mp4",
         extension: ".mp4" },
};

// The output's first video codec this browser encodes at the video's size (H.264 needs even sides).
async function videoCodec(output, width, height) {
  for (const codec of output.video) {
    if (codec === "avc" && (width % 2 || height % 2)) continue;
    if (await mb.canEncodeVideo(codec, { width, height })) return codec;
  }
  throw namedError("VideoError", "video.cannot_encode", { width, height, extension: output.extension });
}
const AUDIO_LEAD_S = 0.5;                 // audio packets are muxed this far ahead of the video
const REPORT_EVERY_MS = 100;              // progress and new packets go to the page at most this often

const cancelled = new Set();              // ids the page cancelled (also before they started)
on("cancel", ({ id }) => cancelled.add(id));

export { clearExports };

// The export file, written as it is encoded; where OPFS is missing it is built in memory instead.
async function exportTarget(extension) {
  let file;
  try {
    file = await createExport(extension);
    return { ...file, target: new mb.StreamTarget(await file.handle.createWritable(), { chunked: true }) };
  } catch {
    await file?.release({ remove: true });
    return { target: new mb.BufferTarget(), release: async () => {} };
  }
}

async function primaryVideoTrack(input) {
  let readable = false;
  try { readable = await input.canRead(); } catch { readable = false; }
  if (!readable) throw namedError("VideoError", "video.unreadable");
  const video = await input.getPrimaryVideoTrack();
  if (!video) {                  // no tracks at all: a file cut short before its index (an MP4's moov at the end)
    const tracks = await input.getTracks();
    if (!tracks.length) throw namedError("VideoError", "video.damaged", { reason: "no tracks" });
    if (tracks.some((track) => track.isAudioTrack())) throw namedError("VideoError", "video.audio_only");
    throw namedError("VideoError", "video.no_video_track");
  }
  const codec = await video.getCodec();
  if (!(await video.canDecode())) {
    throw codec ? namedError("VideoError", "video.cannot_decode", { codec: codec.toUpperCase() })
      : namedError("VideoError", "video.cannot_decode_unknown");
  }
  if (!(await new mb.EncodedPacketSink(video).getFirstPacket())) throw namedError("VideoError", "video.no_frames");
  return video;
}

// One audio track of the input, copied into the export packet for packet (not re-encoded).
class AudioCopy {
  // The copy of `track` into `muxer`, or null with `label(codec, extension)`, a note, in `notes` where the
  // output cannot carry its codec.
  static async add(track, muxer, label, notes) {
    const codec = await track.getCodec();
    if (!codec || !muxer.format.getSupportedAudioCodecs().includes(codec)) {
      notes.push(label(codec || "?", muxer.format.fileExtension));
      return null;
    }
    const source = new mb.EncodedAudioPacketSource(codec);
    const language = await track.getLanguageCode();
    muxer.addAudioTrack(source, language && language !== "und" ? { languageCode: language } : {});
    return new AudioCopy(source, await track.getDecoderConfig(), new mb.EncodedPacketSink(track).packets());
  }

  constructor(source, config, packets) {
    Object.assign(this, { source, config, packets, next: null, first: true, done: false });
  }

  // Copies the packets up to `until` seconds.
  async copy(until) {
    while (!this.done) {
      if (!this.next) {
        const { value, done } = await this.packets.next();
        if (done) { this.done = true; return; }
        this.next = value;
      }
      if (this.next.timestamp > until) return;
      await this.source.add(this.next, this.first ? { decoderConfig: this.config } : undefined);
      this.first = false;
      this.next = null;
    }
  }
}

export class VideoFileJob extends FrameJob {
  static async open(id, file) {
    if (cancelled.delete(id)) throw namedError("Cancelled");
    const input = new mb.Input({ source: new mb.BlobSource(file), formats: mb.ALL_FORMATS });
    let job;
    try {
      const video = await primaryVideoTrack(input);
      job = new VideoFileJob(id, input, video, await video.getDisplayWidth(), await video.getDisplayHeight());
      await job.start(await input.getAudioTracks());
      return job;
    } catch (error) {
      input.dispose();
      await job?.spill?.release({ remove: true });
      if (["VideoError", "Cancelled"].includes(error.name)) throw error;
      throw namedError("VideoError", "video.damaged", { reason: String(error.message || error) });
    }
  }

  constructor(id, input, video, width, height) {
    super(width, height);
    Object.assign(this, { id, input, video, frames: 0, packets: [], decoderConfig: null, notes: [], reported: 0 });
  }

  async start(audioTracks) {
    const stats = await this.video.computePacketStats(Infinity);
    this.frameCount = stats.packetCount;
    const info = { width: this.width, height: this.height, duration: await this.video.computeDuration(),
                   frames: this.frameCount, fps: stats.averagePacketRate };
    const mime = await this.input.getMimeType();
    this.output = OUTPUTS[mime.includes("webm") || mime.includes("matroska") ? "webm" : "mp4"];
    this.samples = new mb.VideoSampleSink(this.video).samples();
    const codec = await videoCodec(this.output, this.width, this.height);
    this.spill = await exportTarget(this.output.extension);
    this.muxer = new mb.Output({ format: this.output.format(), target: this.spill.target });
    this.videoSource = new mb.VideoSampleSource(videoEncoding(codec, {
      onEncodedPacket: (packet, meta) => {
        if (meta?.decoderConfig) this.decoderConfig = meta.decoderConfig;
        this.packets.push({ timestamp: packet.microsecondTimestamp, duration: packet.microsecondDuration,
                            key: packet.type === "key", data: packet.data.slice().buffer });
      },
    }));
    this.muxer.addVideoTrack(this.videoSource);     // no frameRate: it would snap every timestamp to it
    const tracks = audioTracks.length;
    const label = (i) => (codec, extension) => (tracks > 1
      ? note("video.audio_track_left_out", { track: i + 1, tracks, codec, extension })
      : note("video.audio_left_out", { codec, extension }));
    this.audio = [];
    for (const [i, track] of audioTracks.entries()) {
      const copy = await AudioCopy.add(track, this.muxer, label(i), this.notes);
      if (copy) this.audio.push(copy);
    }
    await this.muxer.start();
    post({ type: "video-info", id: this.id, info, export: this.spill.name ?? null });
  }

  // Copies the original audio packets (not re-encoded) up to `until` seconds.
  async copyAudio(until) {
    for (const track of this.audio) await track.copy(until);
  }

  // Draws the next frame on the canvas (which keeps it for commit; Python reads what it needs of it):
  // true, or null at the end.
  async next() {
    if (cancelled.has(this.id)) throw namedError("Cancelled");
    this.current?.close();
    let step;
    try {
      step = await this.samples.next();
    } catch (error) {
      throw namedError("VideoDamaged", "video.damaged_at_frame",
                       { frame: this.frames, reason: String(error.message || error).split("\n")[0].slice(0, 160) });
    }
    if (step.done) { this.current = null; return null; }
    this.current = step.value;
    this.current.drawWithFit(this.context, { fit: "fill" });
    return true;
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
      throw namedError("VideoDamaged", "video.incomplete", { frames: this.frames, total: this.frameCount });
    }
    await this.copyAudio(Infinity);
    await this.muxer.finalize();
    this.report();
    cancelled.delete(this.id);
    const data = this.spill.handle ? await this.spill.handle.getFile() : new Blob([this.muxer.target.buffer]);
    this.input.dispose();
    await this.spill.release();                   // the page holds it from here (video-info's `export`)
    return { data, mime: this.output.mime, extension: this.output.extension, notes: this.notes };
  }

  async cancel() {
    cancelled.delete(this.id);
    this.current?.close();
    this.current = null;
    try { await this.muxer.cancel(); } catch { /* already finished */ }
    await this.spill.release({ remove: true });
    this.input.dispose();
  }
}
