// A video's result card: progress, cancel, the in-sync player and the export's download.
import { $, Card } from "../card.js";
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
    this.record = null;            // {tracks, failed_list, frames} of the first (detected) export
    this.generation = 0;           // of the edits asked for
    this.exporting = null;         // the running re-export, if any
    const canvas = $("canvas[data-role=playback]", el);
    this.player = new Player(canvas, (tick) => this.showPlayer(tick));
    this.editor = new VideoEditor(canvas, this.player, el, () => this.update());
    this.player.onShown = () => this.editor.showFrame();
    $(".cancel", el).addEventListener("click", onCancel);
    $(".play", el).addEventListener("click", () => (this.player.playing ? this.player.pause() : this.player.play()));
    $(".seek", el).addEventListener("input", (e) => this.player.seek(Number(e.target.value)));
  }

  info(info) {
    this.total = info.frames;
    this.player.setInfo(info);
    $(".frames", this.el).max = info.frames;
    $(".seek", this.el).max = info.duration;
    $(".summary", this.el).textContent = `${info.width}×${info.height}, ${info.frames} frames, ${info.fps.toFixed(2)} fps`;
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
    $(".rate", this.el).textContent =
      `${done} / ${total} frames · ${fps.toFixed(1)} fps · ${Number.isFinite(left) ? formatTime(left) + " left" : "…"}`;
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
    this.editor.showFrame();
    $(".play", this.el).textContent = p.playing ? "Pause" : "Play";
    $(".buffering", this.el).hidden = !(p.playing && p.buffering);
  }

  // `edits`: those the result was made with (none for the first export).
  show(result, edits = { removed: [], added: [] }) {
    if (!result.ok) {
      this.player.close();
      $(".progress-row", this.el).hidden = true;
      $(".playback", this.el).hidden = !result.cancelled;
      $(".player-controls", this.el).hidden = !result.cancelled;
      if (result.cancelled) this.setState("error", "Cancelled");
      else this.fail(`Not processed: ${result.error}`);
      return;
    }
    this.result = result;
    this.record ||= { tracks: result.tracks, failed_list: result.failed_list, frames: result.frames };
    this.player.setRate(Infinity, true);
    $(".cancel", this.el).hidden = true;
    while (this.urls.length) URL.revokeObjectURL(this.urls.pop());      // an earlier export's download
    this.offerDownload(result.data instanceof Blob ? result.data : new Blob([result.data], { type: result.mime }),
                       result.extension);
    this.el.dataset.stages = JSON.stringify(result.stage_ms);
    const seconds = (performance.now() - this.started) / 1000;
    const notes = result.notes.length ? ` · ${result.notes.join("; ")}` : "";
    const failed = result.failed_frames ? ` · ${result.failed_frames} frame(s) failed and were fully hidden` : "";
    $(".rate", this.el).textContent = `${result.frames} frames in ${formatTime(seconds)} (${result.fps} fps)${failed}${notes}`;
    this.editor.setRecord(result.tracks, edits, result.width, result.height);
    this.el.dataset.tracks = String(new Set(result.tracks.filter((_, i) => i % 6 === 1)).size);
    this.showPlayer();
    this.setState("done", result.failed_frames ? "Done (some frames fully hidden)" : "Done");
  }

  // Re-exports with the latest edits; edits made meanwhile start one more pass, and the card is
  // 'done' only when the download holds the latest of them.
  update() {
    this.generation += 1;
    if (!this.record) return Promise.resolve();
    this.setState("working", "Updating the video…");
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
          result = { ok: false, error: error?.message || String(error) };
        }
      } while (generation !== this.generation && result.ok);
      this.exporting = null;
      if (result.ok) this.show(result, edits);
      else this.fail(`Could not update the video: ${result.error}`);
    })();
    return this.exporting;
  }

  close() {
    this.player.close();
    super.close();
  }
}
