// A photo result's editor: the anonymised photo, whole and at its aspect ratio (the hook
// `[data-role=editor]`: fraction (fx, fy) of its box is photo pixel (fx·W, fy·H)), with the obscured
// regions as outlines. Drag to add a region (mouse, pen or one finger), remove one with its
// `[data-action=remove-region]` control (click, or Delete/Backspace on it), undo (button, Ctrl+Z);
// click to see the photo 1:1 there; the slider shows the original up to a point.
// Edits are always the whole set: {removed: [detection index], added: [[x1, y1, x2, y2]]} in photo
// pixels (py/plateblur/edits.py); `onChange()` asks for a re-render with them. Each region shows its
// kind (plate, face or drawn: `data-region-kind` on its control); a face is removed like a plate.
import { attr, msg, text } from "./i18n/index.js";
import { RegionEditor } from "./region-editor.js";

const $ = (selector, root) => root.querySelector(selector);

export class PhotoEditor extends RegionEditor {
  constructor(card, onChange) {
    super({ card, editor: $("[data-role=editor]", card), layer: $(".regions", card), draft: $(".draft", card),
            undoButton: $("[data-action=undo]", card), onChange });
    this.view = $(".view", card);
    this.viewport = $(".viewport", card);
    this.zoomButton = $("[data-action=zoom]", card);
    this.proposed = [];           // [{index, region, what}]: the detector's regions in the last result
    this.wire();
  }

  wire() {
    const on = (el, type, fn) => el.addEventListener(type, fn);
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
      .map((region, k) => ({ id: result.region_ids[k], region, what: result.kinds?.[k] ?? "plate" }))
      .filter(({ id }) => id.startsWith("d"))
      .map(({ id, region, what }) => ({ index: Number(id.slice(1)), region, what }));
    this.view.hidden = false;
    this.draw();
  }

  hide() { this.view.hidden = true; }

  // The regions as the current edits make them: detected (padded, from the last result) and drawn.
  shown() {
    const removed = new Set(this.edits.removed);
    const [W, H] = this.size || [0, 0];
    const detected = this.proposed.filter(({ index }) => !removed.has(index))
      .map(({ index, region, what }) => ({ kind: "d", index, region, what }));
    const drawn = this.edits.added.map(([x1, y1, x2, y2], index) => ({    // as edits.py makes them
      kind: "a", index, what: "drawn",
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
    this.layer.replaceChildren(...regions.map(({ kind, index, what, region: [x1, y1, x2, y2] }, k) => {
      const box = document.createElement("div");
      box.className = `region ${what}`;
      this.place(box, [x1 / W, y1 / H, x2 / W, y2 / H]);
      const label = document.createElement("span");
      label.className = "kind";
      label.setAttribute("aria-hidden", "true");          // the control's name says it
      text(label, msg(`kind.${what}`));
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.action = "remove-region";
      button.dataset.kind = kind;
      button.dataset.regionKind = what;
      button.dataset.index = index;
      button.textContent = "×";
      attr(button, "aria-label", msg("region.remove", { n: k + 1, total: regions.length,
        kind: msg(`region.${what}`), width: x2 - x1, height: y2 - y1, x: x1, y: y1 }));
      box.append(label, button);
      return box;
    }));
    this.undoButton.disabled = !this.history.length;
    if (focusAt !== null) {
      const now = this.layer.querySelectorAll("[data-action=remove-region]");
      (now[Math.min(focusAt, now.length - 1)] || this.undoButton).focus();
    }
  }

  remove(control) {
    const kind = control.dataset.kind, index = Number(control.dataset.index);
    this.focusAt = [...this.layer.querySelectorAll("[data-action=remove-region]")].indexOf(control);
    this.change((edits) => {
      if (kind === "d") edits.removed.push(index);
      else edits.added.splice(index, 1);
    });
  }

  drawn(box) {
    this.change((edits) => edits.added.push(box));
  }

  clicked(fx, fy) {
    this.zoom(fx, fy);
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
