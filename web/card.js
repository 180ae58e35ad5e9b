// What photo and video results share: a card from a <template>, its state (the page's public hooks
// `.result[data-state]`), status line, download link and remove button.
import protocol from "../py/plateblur/browser/protocol.json" with { type: "json" };
import { attr, has, msg, text, translate } from "./i18n/index.js";
import { anonymisedName } from "./names.js";
import { PhotoEditor } from "./photo-editor.js";

export const $ = (selector, root = document) => root.querySelector(selector);

export class Card {
  constructor(template, file, onRemove) {
    this.file = file;
    this.urls = [];
    this.el = $(template).content.firstElementChild.cloneNode(true);
    translate(this.el);
    const name = $(".name", this.el);
    text(name, file.name || msg("card.pasted"));
    name.id = `name-${Card.count = (Card.count || 0) + 1}`;
    this.el.setAttribute("aria-labelledby", name.id);
    this.label = file.name || msg("card.pasted");
    attr($(".remove", this.el), "aria-label", msg("card.removeName", { name: this.label }));
    $(".remove", this.el).addEventListener("click", onRemove);
  }

  get state() { return this.el.dataset.state; }

  setState(state, text) {
    this.el.dataset.state = state;
    this.setStatus(text);
  }

  setStatus(message) {
    const status = $(".status", this.el);
    const key = typeof message === "string" ? message : JSON.stringify(message);
    if (status.dataset.shown === key) return;           // the same text again: not announced again
    status.dataset.shown = key;
    text(status, message);
  }

  fail(message) {
    this.el.classList.add("failed");
    $(".download", this.el).hidden = true;
    this.setState("error", message);
    $(".status", this.el).setAttribute("role", "alert");
  }

  url(blob) {
    const url = URL.createObjectURL(blob);
    this.urls.push(url);
    return url;
  }

  offerDownload(blob, extension) {
    const link = $(".download", this.el);
    link.href = this.url(blob);
    link.download = anonymisedName(this.file.name, extension);
    text(link, msg("card.download", { file: link.download }));
    link.hidden = false;
  }

  close() {
    this.urls.forEach((url) => URL.revokeObjectURL(url));
    this.urls = [];
    this.el.remove();
  }
}

export class PhotoCard extends Card {
  // render(edits) -> a promise of the photo result with these edits and the current settings.
  constructor(file, onRemove, render) {
    super("#result-template", file, onRemove);
    this.result = null;
    this.render = render;
    this.generation = 0;          // of the edits and settings asked for
    this.rendering = null;        // the running re-render, if any
    this.editor = new PhotoEditor(this.el, () => this.update());
    attr($(".after", this.el), "alt", msg("photo.after", { name: this.label }));
    attr($(".before", this.el), "alt", msg("photo.before", { name: this.label }));
    this.wireCompare();
  }

  // Before/after: the toggle shows the whole original (or the result again); the slider shows the
  // original from the left up to a point. Both move the same one image over the other.
  wireCompare() {
    const toggle = $("[data-action=show-original]", this.el), slider = $("[data-action=compare]", this.el);
    const set = (value) => {
      slider.value = value;
      slider.dispatchEvent(new Event("input", { bubbles: true }));
    };
    toggle.addEventListener("click", () => set(toggle.getAttribute("aria-pressed") === "true" ? 0 : 100));
    slider.addEventListener("input", () => toggle.setAttribute("aria-pressed", String(Number(slider.value) === 100)));
  }

  showOriginal() {
    this.editor.showOriginal(this.url(this.file));
  }

  // Re-renders with the latest edits and settings; changes made meanwhile start one more pass, and
  // the card is 'done' only when the download shows the latest of them.
  update() {
    this.generation += 1;
    if (!this.result && !this.rendering) {       // the first result is still to come (or none will)
      this.stale = this.state === "working";       // a settings change during detection: render again then
      return Promise.resolve();
    }
    this.setState("working", msg("card.updating"));
    this.rendering ||= (async () => {
      let result, generation;
      do {
        generation = this.generation;
        try {
          result = await this.render(this.editor.edits);
        } catch (error) {
          result = failure(error);
        }
      } while (generation !== this.generation && result.ok);
      this.rendering = null;
      this.show(result, "card.notUpdated");
    })();
    return this.rendering;
  }

  show(result, failure = "card.notProcessed") {
    if (!result.ok) {
      this.result = null;
      this.editor.hide();
      text($(".summary", this.el), "");
      this.fail(msg(failure, { detail: errorMessage(result) }));
      return;
    }
    this.result = result;
    while (this.urls.length > 1) URL.revokeObjectURL(this.urls.pop());   // keep the original's URL
    const blob = new Blob([result.data], { type: result.mime });
    this.offerDownload(blob, result.extension);
    this.editor.show(result, $(".download", this.el).href);
    const regions = result.regions.length, added = result.added.length, removed = result.removed.length;
    const kinds = result.kinds ?? result.regions.map(() => "plate");
    const changes = [added && msg("photo.drawn", { count: added }), removed && msg("photo.removed", { count: removed })]
      .filter(Boolean);
    const edited = changes.length
      ? msg("photo.edited", { changes: changes.length > 1 ? msg("photo.changes", { a: changes[0], b: changes[1] }) : changes[0] })
      : "";
    text($(".summary", this.el), msg("photo.summary", { what: msg("photo.obscured", { count: regions, kinds: found(kinds) }),
                                                         edited, width: result.width, height: result.height }));
    this.el.dataset.boxes = JSON.stringify(result.boxes);
    this.el.dataset.regions = JSON.stringify(result.regions);
    this.el.dataset.kinds = kinds.join(",");
    this.el.dataset.timings = JSON.stringify(result.timings);
    this.setState("done", msg(regions ? "card.done" : "card.doneNone"));
    if (this.stale) {
      this.stale = false;
      this.update();
    }
  }
}

// ": 2 plates, 1 face": the detected regions by kind (drawn ones are told with the edits), or nothing.
function found(kinds) {
  const parts = ["plate", "face"].filter((kind) => kinds.includes(kind))
    .map((kind) => msg(`photo.${kind}s`, { count: kinds.filter((k) => k === kind).length }));
  return parts.length ? msg(`photo.kinds.${parts.length}`, { a: parts[0], b: parts[1] }) : "";
}

// A failed call's message for the user, in the page's language: the text of its detail code
// (py/plateblur/browser/protocol.json "details"); for a code these texts lack, its error name's
// generic text with the English words as the detail, never a blank.
export function errorMessage({ error_name: name, error, detail, params }) {
  if (detail && has(`error.${detail}`)) return msg(`error.${detail}`, params || {});
  return msg(name in protocol.errors ? `error.${name}` : "error.other", { detail: error || detail || name || "?" });
}

// A thrown error (a lost worker's, say) as a failed call's result, for errorMessage().
export function failure(error) {
  return { ok: false, error: error?.message || String(error), error_name: error?.name, detail: error?.detail,
           params: error?.params };
}
