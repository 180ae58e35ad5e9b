// A video's result card: progress, cancel, the in-sync player and the export's download.
import { $, Card } from "../card.js";
import { Player } from "./player.js";

export function formatTime(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export class VideoCard extends Card {
  constructor(file, onRemove, onCancel) {
    super("#video-template", file, onRemove);
    const el = this.el;
    this.result = null;
    this.started = performance.now();
    this.total = 0;
    this.done = 0;
    this.player = new Player($("canvas[data-role=playback]", el), (tick) => this.showPlayer(tick));
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
    $(".play", this.el).textContent = p.playing ? "Pause" : "Play";
    $(".buffering", this.el).hidden = !(p.playing && p.buffering);
  }

  show(result) {
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
    this.player.setRate(Infinity, true);
    $(".cancel", this.el).hidden = true;
    this.offerDownload(result.data instanceof Blob ? result.data : new Blob([result.data], { type: result.mime }),
                       result.extension);
    this.el.dataset.stages = JSON.stringify(result.stage_ms);
    const seconds = (performance.now() - this.started) / 1000;
    const notes = result.notes.length ? ` · ${result.notes.join("; ")}` : "";
    const failed = result.failed_frames ? ` · ${result.failed_frames} frame(s) failed and were fully hidden` : "";
    $(".rate", this.el).textContent = `${result.frames} frames in ${formatTime(seconds)} (${result.fps} fps)${failed}${notes}`;
    this.showPlayer();
    this.setState("done", result.failed_frames ? "Done (some frames fully hidden)" : "Done");
  }

  close() {
    this.player.close();
    super.close();
  }
}
