// A video's result card: progress, cancel, the in-sync player and the export's download.
import { $, Card, errorMessage, failure } from "../card.js";
import { attr, decimal, msg, text } from "../i18n/index.js";
import { OriginalFrames } from "./original.js";
import { VideoEditor } from "./editor.js";
import { Player } from "./player.js";

export function formatTime(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export class VideoCard extends Card {
  // reexport(record, edits) -> a promise of the video result with these edits (no detector run).
  constructor(file, onRemove, onCancel, reexport) {
    super("#video-template", file, onRemove);
    const el = this.el;
    this.result = null;
    this.started = performance.now();
    this.total = 0;
    this.done = 0;
    this.reexport = reexport;
    this.record = null;            // {tracks, track_kinds, failed_list, frames} of the first (detected) export
    this.generation = 0;           // of the edits asked for
    this.exporting = null;         // the running re-export, if any
    const canvas = $("canvas[data-role=playback]", el);
    this.player = new Player(canvas, (tick) => this.showPlayer(tick));
    this.editor = new VideoEditor(canvas, this.player, el, () => this.update());
    this.player.onShown = () => this.editor.showFrame();
    $(".cancel", el).addEventListener("click", onCancel);
    $(".play", el).addEventListener("click", () => (this.player.playing ? this.player.pause() : this.player.play()));
    $(".seek", el).addEventListener("input", (e) => this.player.seek(Number(e.target.value)));
    attr($(".playback", el), "aria-label", msg("video.view", { name: this.label }));
    attr($(".original", el), "aria-label", msg("video.original", { name: this.label }));
    this.original = new OriginalFrames(file, $(".original", el));
    $("[data-action=show-original]", el).addEventListener("click", () => this.toggleOriginal());
  }

  // Compare: the original's frame at the player's position, in place of the result (paused).
  toggleOriginal(on = !this.comparing) {
    this.comparing = on;
    $("[data-action=show-original]", this.el).setAttribute("aria-pressed", String(on));
    $(".original", this.el).hidden = !on;
    $(".playback", this.el).hidden = on;
    if (on) {
      if (this.player.playing) this.player.pause();
      this.original.show(this.player.clock());
    }
  }

  info(info) {
    this.total = info.frames;
    this.player.setInfo(info);
    $(".frames", this.el).max = info.frames;
    $(".seek", this.el).max = info.duration;
    const original = $(".original", this.el);
    original.width = info.width;
    original.height = info.height;
    text($(".summary", this.el), msg("video.info", { width: info.width, height: info.height, frames: info.frames,
                                                      fps: decimal(info.fps, 2) }));
  }

  packets(packets, config) {
    this.player.add(packets, config);
    $(".play", this.el).disabled = false;
  }

  progress(done) {
    const total = this.total;
    this.done = done;
    const seconds = (performance.now() - this.started) / 1000;
    const fps = done / seconds;
    const left = fps > 0 ? (total - done) / fps : Infinity;
    $(".frames", this.el).value = done;
    text($(".rate", this.el), msg("video.rate", { done, total, fps: decimal(fps, 1),
                                                  left: Number.isFinite(left) ? msg("video.left", { time: formatTime(left) }) : "…" }));
    const videoFps = this.total / Math.max(this.player.duration, 1e-6);
    this.player.setRate(fps / videoFps, done >= total);
    this.showPlayer();
  }

  showPlayer(tick) {
    const p = this.player;
    const now = p.clock();
    $(".time", this.el).textContent = `${formatTime(now)} / ${formatTime(p.duration)}`;
    const seek = $(".seek", this.el);
    if (document.activeElement !== seek) seek.value = now;
    seek.dataset.processed = p.processedEnd.toFixed(2);
    seek.style.setProperty("--processed", `${(100 * p.processedEnd / Math.max(p.duration, 1e-6)).toFixed(1)}%`);
    if (tick) return;
    if (this.comparing) {
      if (p.playing) this.toggleOriginal(false);     // playing shows the result again
      else this.original.show(now);
    }
    this.editor.showFrame();
    text($(".play", this.el), msg(p.playing ? "video.pause" : "video.play"));
    $(".buffering", this.el).hidden = !(p.playing && p.buffering);
  }

  // `edits`: those the result was made with (none for the first export).
  show(result, edits = { removed: [], added: [] }) {
    if (!result.ok) {
      this.stop();
      if (result.cancelled) this.setState("cancelled", msg("card.cancelled"));
      else this.fail(msg("card.notProcessed", { detail: errorMessage(result) }));
      return;
    }
    this.result = result;
    this.record ||= { tracks: result.tracks, track_kinds: result.track_kinds, failed_list: result.failed_list,
                      frames: result.frames };
    this.player.setRate(Infinity, true);
    $(".cancel", this.el).hidden = true;
    while (this.urls.length) URL.revokeObjectURL(this.urls.pop());      // an earlier export's download
    this.offerDownload(result.data instanceof Blob ? result.data : new Blob([result.data], { type: result.mime }),
                       result.extension);
    this.el.dataset.stages = JSON.stringify(result.stage_ms);
    const seconds = (performance.now() - this.started) / 1000;
    const notes = result.notes.length
      ? msg("video.notes", { notes: result.notes.map((note) => msg(`note.${note.code}`, note.params)) }) : "";
    const failed = result.failed_frames ? msg("video.failedFrames", { count: result.failed_frames }) : "";
    text($(".rate", this.el), msg("video.finished", { frames: result.frames, time: formatTime(seconds),
                                                      fps: decimal(result.fps, 1),
                                                      failed, notes }));
    $("[data-action=show-original]", this.el).hidden = false;
    this.editor.setRecord(result.tracks, edits, result.width, result.height, result.track_kinds ?? {});
    this.el.dataset.tracks = String(new Set(result.tracks.filter((_, i) => i % 6 === 1)).size);
    this.showPlayer();
    this.setState("done", msg(result.failed_frames ? "video.doneHidden" : "card.done"));
  }

  // Re-exports with the latest edits; edits made meanwhile start one more pass, and the card is
  // 'done' only when the download holds the latest of them.
  update() {
    this.generation += 1;
    if (!this.record) return Promise.resolve();
    this.setState("working", msg("video.updating"));
    this.exporting ||= (async () => {
      let result, generation, edits;
      do {
        generation = this.generation;
        edits = structuredClone(this.editor.edits);
        this.started = performance.now();
        this.progress(0);
        this.player.reset();
        try {
          result = await this.reexport(this.record, edits);
        } catch (error) {
          result = failure(error);
        }
      } while (generation !== this.generation && result.ok);
      this.exporting = null;
      if (result.ok) {
        this.show(result, edits);
      } else {
        this.stop();              // the player was reset for the new export, and the old one is gone
        this.fail(msg("video.updateFailed", { error: errorMessage(result) }));
      }
    })();
    return this.exporting;
  }

  // A failed or cancelled video: its message and the remove button stay; the player, its controls, the
  // region tools and the progress go (nothing is left that cannot work).
  stop() {
    this.player.close();
    for (const part of this.el.querySelectorAll(".progress-row, .screen, .player-controls")) part.hidden = true;
  }

  close() {
    this.player.close();
    this.original.close();
    super.close();
  }
}
