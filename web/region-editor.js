// What the photo and the video editors share: the obscured regions as outlines over a picture whose
// box `[data-role=editor]` maps fraction (fx, fy) to picture pixel (fx·W, fy·H); a drag (mouse, pen or
// one finger) draws a region, a region's `[data-action=remove-region]` control removes it (click, or
// Delete/Backspace on it), `[data-action=undo]` and Ctrl+Z take back the last change. Edits are always
// the whole set ({removed, added}), kept with their history; `onChange()` asks for a new result.
// Subclasses say what a region is: draw() shows them, remove(control) and drawn(box, drag) change
// the edits, canDraw() and dragContext() say when and where a drag draws, clicked(fx, fy) a click.
const DRAG_PX = 4;              // a pointer that moves less than this (CSS px) is a click
const clamp01 = (v) => Math.min(1, Math.max(0, v));

export class RegionEditor {
  constructor({ card, editor, layer, draft, undoButton, onChange }) {
    Object.assign(this, { card, editor, layer, draft, undoButton, onChange });
    this.edits = { removed: [], added: [] };
    this.history = [];            // earlier edits, for undo
    this.size = null;             // [W, H] of the picture
    this.drag = null;
    const on = (el, type, fn) => el.addEventListener(type, fn);
    on(editor, "pointerdown", (e) => this.pointerDown(e));
    on(editor, "pointermove", (e) => this.pointerMove(e));
    on(editor, "pointerup", (e) => this.pointerUp(e));
    on(editor, "pointercancel", () => this.endDrag());
    on(editor, "dragstart", (e) => e.preventDefault());
    on(layer, "click", (e) => {
      const control = e.target.closest("[data-action=remove-region]");
      if (control) this.remove(control);
    });
    on(layer, "keydown", (e) => {
      const control = e.target.closest("[data-action=remove-region]");
      if (control && (e.key === "Delete" || e.key === "Backspace")) {
        e.preventDefault();
        this.remove(control);
      }
    });
    on(card, "keydown", (e) => {
      if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === "z") {
        e.preventDefault();
        this.undo();
      }
    });
    on(undoButton, "click", () => this.undo());
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

  undo() {
    if (!this.history.length) return;
    this.edits = this.history.pop();
    this.draw();
    this.onChange();
  }

  canDraw() { return Boolean(this.size); }
  dragContext() { return {}; }
  clicked() {}

  fraction(e) {
    const r = this.editor.getBoundingClientRect();
    return [clamp01((e.clientX - r.left) / r.width), clamp01((e.clientY - r.top) / r.height)];
  }

  pointerDown(e) {
    if (!this.canDraw() || this.drag || (e.pointerType === "mouse" && e.button !== 0)) return;
    if (e.target.closest("button")) return;
    e.preventDefault();                       // no text selection or image drag
    try { this.editor.setPointerCapture(e.pointerId); } catch { /* a pointer the browser no longer tracks */ }
    this.drag = { id: e.pointerId, x: e.clientX, y: e.clientY, start: this.fraction(e), moved: false,
                  ...this.dragContext() };
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

  // A drag's box in picture pixels (to 0.1 px) goes to drawn(box, drag); a click to clicked(fx, fy).
  pointerUp(e) {
    const drag = this.drag;
    if (!drag || e.pointerId !== drag.id) return;
    this.pointerMove(e);
    this.endDrag();
    const [fx, fy] = this.fraction(e);
    if (!drag.moved) {
      this.clicked(fx, fy);
      return;
    }
    const [W, H] = this.size, [sx, sy] = drag.start;
    const px = (f, size) => Math.round(f * size * 10) / 10;
    const box = [px(Math.min(sx, fx), W), px(Math.min(sy, fy), H), px(Math.max(sx, fx), W), px(Math.max(sy, fy), H)];
    if (box[2] - box[0] < 1 || box[3] - box[1] < 1) return;
    this.drawn(box, drag);
  }

  endDrag() {
    this.drag = null;
    this.draft.hidden = true;
  }
}
