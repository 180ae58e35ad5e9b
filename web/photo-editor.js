// A photo result's editor: the anonymised photo, whole and at its aspect ratio (the hook
// `[data-role=editor]`: fraction (fx, fy) of its box is photo pixel (fx·W, fy·H)), with the obscured
// regions as outlines. Drag to add a region (mouse, pen or one finger), remove one with its
// `[data-action=remove-region]` control (click, or Delete/Backspace on it), undo (button, Ctrl+Z);
// click to see the photo 1:1 there; the slider shows the original up to a point.
// Edits are always the whole set: {removed: [detection index], added: [[x1, y1, x2, y2]]} in photo
// pixels (py/plateblur/edits.py); `onChange()` asks for a re-render with them.
import { attr, msg } from "./i18n/index.js";

const $ = (selector, root) => root.querySelector(selector);
const DRAG_PX = 4;              // a pointer that moves less than this (CSS px) is a click
const clamp01 = (v) => Math.min(1, Math.max(0, v));

export class PhotoEditor {
  constructor(card, onChange) {
    this.card = card;
    this.view = $(".view", card);
    this.editor = $("[data-role=editor]", card);
    this.viewport = $(".viewport", card);
    this.layer = $(".regions", card);
    this.draft = $(".draft", card);
    this.undoButton = $("[data-action=undo]", card);
    this.zoomButton = $("[data-action=zoom]", card);
    this.onChange = onChange;
    this.edits = { removed: [], added: [] };
    this.history = [];            // earlier edits, for undo
    this.size = null;             // [W, H] of the photo
    this.proposed = [];           // [{index, region}]: the detector's regions in the last result
    this.drag = null;
    this.wire();
  }

  wire() {
    const on = (el, type, fn) => el.addEventListener(type, fn);
    on(this.editor, "pointerdown", (e) => this.pointerDown(e));
    on(this.editor, "pointermove", (e) => this.pointerMove(e));
    on(this.editor, "pointerup", (e) => this.pointerUp(e));
    on(this.editor, "pointercancel", () => this.endDrag());
    on(this.editor, "dragstart", (e) => e.preventDefault());
    on(this.layer, "click", (e) => {
      const control = e.target.closest("[data-action=remove-region]");
      if (control) this.remove(control);
    });
    on(this.layer, "keydown", (e) => {
      const control = e.target.closest("[data-action=remove-region]");
      if (control && (e.key === "Delete" || e.key === "Backspace")) {
        e.preventDefault();
        this.remove(control);
      }
    });
    on(this.card, "keydown", (e) => {
      if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === "z") {
        e.preventDefault();
        this.undo();
      }
    });
    on(this.undoButton, "click", () => this.undo());
    on(this.zoomButton, "click", () => {
      const first = this.shown()[0]?.region;
      const [W, H] = this.size || [1, 1];
      this.zoom(first ? (first[0] + first[2]) / 2 / W : 0.5, first ? (first[1] + first[3]) / 2 / H : 0.5);
    });
    const outlines = $("[data-action=outlines]", this.card), compare = $("[data-action=compare]", this.card);
    on(outlines, "change", () => this.editor.classList.toggle("no-outlines", !outlines.checked));
    on(compare, "input", () => {
      this.editor.style.setProperty("--compare", `${compare.value}%`);
      this.editor.classList.toggle("comparing", compare.value > 0);
    });
  }

  showOriginal(url) {
    $(".before", this.editor).src = url;
    this.view.hidden = false;
  }

  // A result of process_photo/edit: its regions, with ids "d<i>" (detection i) and "a<j>" (drawn j).
  show(result, url) {
    this.size = [result.width, result.height];
    this.editor.style.setProperty("--w", result.width);
    this.editor.style.setProperty("--h", result.height);
    this.editor.classList.add("sized");
    $(".after", this.editor).src = url;
    this.proposed = result.regions
      .map((region, k) => ({ id: result.region_ids[k], region }))
      .filter(({ id }) => id.startsWith("d"))
      .map(({ id, region }) => ({ index: Number(id.slice(1)), region }));
    this.view.hidden = false;
    this.draw();
  }

  hide() { this.view.hidden = true; }

  // The regions as the current edits make them: detected (padded, from the last result) and drawn.
  shown() {
    const removed = new Set(this.edits.removed);
    const [W, H] = this.size || [0, 0];
    const detected = this.proposed.filter(({ index }) => !removed.has(index))
      .map(({ index, region }) => ({ kind: "d", index, region }));
    const drawn = this.edits.added.map(([x1, y1, x2, y2], index) => ({    // as edits.py makes them
      kind: "a", index,
      region: [Math.max(0, Math.floor(x1)), Math.max(0, Math.floor(y1)), Math.min(W, Math.ceil(x2)), Math.min(H, Math.ceil(y2))],
    }));
    return [...detected, ...drawn];
  }

  draw() {
    const controls = [...this.layer.querySelectorAll("[data-action=remove-region]")];
    const focused = controls.indexOf(document.activeElement);
    const focusAt = this.focusAt ?? (focused >= 0 ? focused : null);
    this.focusAt = null;
    const [W, H] = this.size;
    const regions = this.shown();
    this.layer.replaceChildren(...regions.map(({ kind, index, region: [x1, y1, x2, y2] }, k) => {
      const box = document.createElement("div");
      box.className = `region${kind === "a" ? " drawn" : ""}`;
      this.place(box, [x1 / W, y1 / H, x2 / W, y2 / H]);
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.action = "remove-region";
      button.dataset.kind = kind;
      button.dataset.index = index;
      button.textContent = "×";
      attr(button, "aria-label", msg("region.remove", { n: k + 1, total: regions.length,
        kind: msg(kind === "a" ? "region.drawn" : "region.detected"), width: x2 - x1, height: y2 - y1, x: x1, y: y1 }));
      box.append(button);
      return box;
    }));
    this.undoButton.disabled = !this.history.length;
    if (focusAt !== null) {
      const now = this.layer.querySelectorAll("[data-action=remove-region]");
      (now[Math.min(focusAt, now.length - 1)] || this.undoButton).focus();
    }
  }

  place(el, [fx1, fy1, fx2, fy2]) {
    el.style.left = `${100 * fx1}%`;
    el.style.top = `${100 * fy1}%`;
    el.style.width = `${100 * (fx2 - fx1)}%`;
    el.style.height = `${100 * (fy2 - fy1)}%`;
  }

  change(mutate) {
    this.history.push(structuredClone(this.edits));
    mutate(this.edits);
    this.draw();
    this.onChange();
  }

  remove(control) {
    const kind = control.dataset.kind, index = Number(control.dataset.index);
    this.focusAt = [...this.layer.querySelectorAll("[data-action=remove-region]")].indexOf(control);
    this.change((edits) => {
      if (kind === "d") edits.removed.push(index);
      else edits.added.splice(index, 1);
    });
  }

  undo() {
    if (!this.history.length) return;
    this.edits = this.history.pop();
    this.draw();
    this.onChange();
  }

  // ---- pointer: drag to draw, click to zoom -----------------------------------------------------

  fraction(e) {
    const r = this.editor.getBoundingClientRect();
    return [clamp01((e.clientX - r.left) / r.width), clamp01((e.clientY - r.top) / r.height)];
  }

  pointerDown(e) {
    if (!this.size || this.drag || (e.pointerType === "mouse" && e.button !== 0)) return;
    if (e.target.closest("button")) return;
    e.preventDefault();                       // no text selection or image drag
    try { this.editor.setPointerCapture(e.pointerId); } catch { /* a pointer the browser no longer tracks */ }
    this.drag = { id: e.pointerId, x: e.clientX, y: e.clientY, start: this.fraction(e), moved: false };
  }

  pointerMove(e) {
    const drag = this.drag;
    if (!drag || e.pointerId !== drag.id) return;
    drag.moved ||= Math.max(Math.abs(e.clientX - drag.x), Math.abs(e.clientY - drag.y)) >= DRAG_PX;
    if (!drag.moved) return;
    const [fx, fy] = this.fraction(e), [sx, sy] = drag.start;
    this.place(this.draft, [Math.min(sx, fx), Math.min(sy, fy), Math.max(sx, fx), Math.max(sy, fy)]);
    this.draft.hidden = false;
  }

  pointerUp(e) {
    const drag = this.drag;
    if (!drag || e.pointerId !== drag.id) return;
    this.pointerMove(e);
    this.endDrag();
    const [fx, fy] = this.fraction(e);
    if (!drag.moved) {
      this.zoom(fx, fy);
      return;
    }
    const [W, H] = this.size, [sx, sy] = drag.start;
    const px = (f, size) => Math.round(f * size * 10) / 10;
    const box = [px(Math.min(sx, fx), W), px(Math.min(sy, fy), H), px(Math.max(sx, fx), W), px(Math.max(sy, fy), H)];
    if (box[2] - box[0] < 1 || box[3] - box[1] < 1) return;
    this.change((edits) => edits.added.push(box));
  }

  endDrag() {
    this.drag = null;
    this.draft.hidden = true;
  }

  // 1:1 around (fx, fy), or back to the whole photo.
  zoom(fx, fy) {
    const zoomed = this.viewport.classList.toggle("zoomed");
    this.zoomButton.setAttribute("aria-pressed", String(zoomed));
    if (zoomed) {
      this.viewport.scrollLeft = fx * this.editor.offsetWidth - this.viewport.clientWidth / 2;
      this.viewport.scrollTop = fy * this.editor.offsetHeight - this.viewport.clientHeight / 2;
    }
  }
}
