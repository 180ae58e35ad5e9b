// A processed video's editor, over the paused player: the shown frame's obscured regions as outlines
// (the hook `[data-role=editor]`: fraction (fx, fy) of its box is frame pixel (fx·W, fy·H);
// `data-frame` is the shown frame's index from 0; people see frame numbers from 1). Drag on a paused frame to add a region from that frame on,
// fixed or following the content, up to a chosen frame (default: the end); each region's
// `[data-action=remove-region]` removes its whole track; `[data-action=undo]` takes back the last change.
// Edits are always the whole set: {removed: [track id], added: [{frame, box, mode, until}]}
// (py/plateblur/video_edits.py); `onChange()` asks for a re-export with them. The card's
// `data-regions` holds the shown frame's regions (JSON [[x1, y1, x2, y2]], frame pixels), `data-kinds` their
// kinds (plate, face, drawn; comma-separated); each region shows its kind, and a face's track is removed
// like a plate's.
import { attr, msg, text } from "../i18n/index.js";
import { RegionEditor } from "../region-editor.js";

function element(tag, props = {}, ...children) {
  const el = Object.assign(document.createElement(tag), props);
  if (tag === "button") el.type = "button";
  el.append(...children);
  return el;
}

export class VideoEditor extends RegionEditor {
  constructor(canvas, player, card, onChange) {
    const editor = element("div", { className: "editor video-editor" });
    editor.dataset.role = "editor";
    const layer = element("div", { className: "regions" });
    layer.setAttribute("role", "group");
    const draft = element("div", { className: "draft", hidden: true });
    const undoButton = element("button", { className: "secondary", disabled: true });
    super({ card, editor, layer, draft, undoButton, onChange });   // card gets data-regions: the shown frame's
    this.canvas = canvas;
    this.player = player;
    canvas.replaceWith(editor);
    editor.append(canvas, layer, draft);
    const option = (value) => { const o = element("option", { value }); text(o, msg(`videoEdit.${value}`)); return o; };
    this.mode = element("select", {}, option("fixed"), option("follow"));
    this.mode.dataset.action = "region-mode";
    this.until = element("input", { min: 1, step: 1, className: "until" });
    attr(this.until, "placeholder", msg("videoEdit.end"));
    this.until.type = "number";
    this.until.dataset.action = "region-until";
    text(this.undoButton, msg("videoEdit.undo"));
    this.undoButton.dataset.action = "undo";
    this.frameLabel = element("span", { className: "frame-number" });
    const labelled = (key, control) => { const l = element("label"), t = element("span"); text(t, msg(key));
                                         l.append(t, " ", control); return l; };
    const hint = element("span", { className: "hint" });
    text(hint, msg("videoEdit.hint"));
    this.controls = element("div", { className: "player-controls region-controls", hidden: true },
                            this.frameLabel, labelled("videoEdit.mode", this.mode),
                            labelled("videoEdit.until", this.until), this.undoButton, hint);
    this.editor.after(this.controls);
    this.rows = null;             // Int32Array of frame, track, x1, y1, x2, y2 rows: the latest export's
    this.rowsEdits = null;        // the edits that export was made with (JSON)
    this.kinds = {};              // track id -> "plate", "face" or "drawn" (the export's track_kinds)
    this.frame = null;            // index of the frame shown
  }

  // The export's record: its rows, made with `edits` (the whole set sent for it), and its tracks' kinds.
  setRecord(rows, edits, width, height, kinds = {}) {
    this.rows = rows;
    this.kinds = kinds;
    this.rowsEdits = JSON.stringify(edits);
    this.size = [width, height];
    this.editor.style.setProperty("--w", width);
    this.editor.style.setProperty("--h", height);
    this.editor.classList.add("sized");
    this.controls.hidden = false;
    this.until.min = 1;
    this.until.max = this.frameCount();
    this.draw();
  }

  frameCount() { return this.player.frameTimestamps().length; }

  // The regions of frame `index` as the current edits make them: [{track, region}].
  regionsAt(index) {
    if (!this.rows || index === null) return [];
    const removed = new Set(this.edits.removed), out = [], drawnRows = new Map();
    for (let i = 0; i < this.rows.length; i += 6) {
      if (this.rows[i] !== index) continue;
      const track = this.rows[i + 1], region = Array.from(this.rows.subarray(i + 2, i + 6));
      if (track > 0 && !removed.has(track)) out.push({ track, region });
      else if (track < 0) drawnRows.set(track, region);
    }
    const sameExport = JSON.parse(this.rowsEdits || "{}").added || [];
    const [W, H] = this.size;
    this.edits.added.forEach((drawn, j) => {
      const track = -(j + 1);
      if (index < drawn.frame || (drawn.until !== null && index > drawn.until)) return;
      if (JSON.stringify(sameExport[j]) === JSON.stringify(drawn) && drawnRows.has(track)) {
        out.push({ track, region: drawnRows.get(track) });          // where the export put it (followed)
      } else if (drawn.mode === "fixed" || index === drawn.frame) {
        const [x1, y1, x2, y2] = drawn.box;                          // as video_edits.py rounds it
        out.push({ track, region: [Math.max(0, Math.floor(x1)), Math.max(0, Math.floor(y1)),
                                   Math.min(W, Math.ceil(x2)), Math.min(H, Math.ceil(y2))] });
      }
    });
    return out;
  }

  // Called when the player shows a frame or starts/stops: outlines only on a paused frame.
  showFrame() {
    const stamp = Number(this.canvas.dataset.timestamp);
    this.frame = this.rows && !this.player.playing && Number.isFinite(stamp) ? this.player.frameIndex(stamp) : null;
    if (this.frame === null) delete this.editor.dataset.frame;
    else this.editor.dataset.frame = String(this.frame);
    if (this.frame === null) text(this.frameLabel, "");
    else text(this.frameLabel, msg("videoEdit.frame", { frame: this.frame + 1, count: this.frameCount() }));
    this.draw();
  }

  draw() {
    if (!this.size) return;
    const [W, H] = this.size;
    const regions = this.regionsAt(this.frame);
    const what = (track) => (track < 0 ? "drawn" : this.kinds[track] ?? "plate");
    this.card.dataset.regions = JSON.stringify(regions.map(({ region }) => region));
    this.card.dataset.kinds = regions.map(({ track }) => what(track)).join(",");
    this.layer.replaceChildren(...regions.map(({ track, region }, k) => {
      const [x1, y1, x2, y2] = region;
      const box = element("div", { className: `region ${what(track)}` });
      this.place(box, [x1 / W, y1 / H, x2 / W, y2 / H]);
      const label = element("span", { className: "kind" });
      label.setAttribute("aria-hidden", "true");          // the control's name says it
      text(label, msg(`kind.${what(track)}`));
      const button = element("button", { textContent: "×" });
      button.dataset.action = "remove-region";
      button.dataset.track = String(track);
      button.dataset.regionKind = what(track);
      attr(button, "aria-label", msg("videoEdit.remove", {
        n: k + 1, total: regions.length, width: x2 - x1, height: y2 - y1, x: x1, y: y1,
        kind: track < 0 ? msg("videoEdit.drawn") : msg("videoEdit.track", { track, kind: msg(`region.${what(track)}`) }) }));
      box.append(label, button);
      return box;
    }));
    this.undoButton.disabled = !this.history.length;
  }

  remove(control) {
    const track = Number(control.dataset.track);
    this.change((edits) => {
      if (track > 0) edits.removed.push(track);
      else edits.added.splice(-track - 1, 1);
    });
  }

  // Drawing only on a paused frame, from that frame on.
  canDraw() { return this.frame !== null; }
  dragContext() { return { frame: this.frame }; }

  drawn(box, drag) {
    const until = this.until.value === "" ? null : Math.max(drag.frame, Math.round(Number(this.until.value)) - 1);
    this.change((edits) => edits.added.push({ frame: drag.frame, box, mode: this.mode.value, until }));
  }
}
