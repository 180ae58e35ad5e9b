// What photo and video results share: a card from a <template>, its state (the page's public hooks
// `.result[data-state]`), status line, download link and remove button.
import { anonymisedName } from "./names.js";
import { PhotoEditor } from "./photo-editor.js";

export const $ = (selector, root = document) => root.querySelector(selector);

export class Card {
  constructor(template, file, onRemove) {
    this.file = file;
    this.urls = [];
    this.el = $(template).content.firstElementChild.cloneNode(true);
    $(".name", this.el).textContent = file.name || "pasted image";
    $(".remove", this.el).addEventListener("click", onRemove);
  }

  get state() { return this.el.dataset.state; }

  setState(state, text) {
    this.el.dataset.state = state;
    this.setStatus(text);
  }

  setStatus(text) {
    $(".status", this.el).textContent = text;
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
    link.textContent = `Download ${link.download}`;
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
    this.setState("working", "Updating…");
    this.rendering ||= (async () => {
      let result, generation;
      do {
        generation = this.generation;
        try {
          result = await this.render(this.editor.edits);
        } catch (error) {
          result = { ok: false, error: error?.message || String(error) };
        }
      } while (generation !== this.generation && result.ok);
      this.rendering = null;
      this.show(result, "Could not update the photo");
    })();
    return this.rendering;
  }

  show(result, failure = "Not processed") {
    if (!result.ok) {
      this.result = null;
      this.editor.hide();
      $(".summary", this.el).textContent = "";
      this.fail(`${failure}: ${result.error}`);
      return;
    }
    this.result = result;
    while (this.urls.length > 1) URL.revokeObjectURL(this.urls.pop());   // keep the original's URL
    const blob = new Blob([result.data], { type: result.mime });
    this.offerDownload(blob, result.extension);
    this.editor.show(result, $(".download", this.el).href);
    const plates = result.regions.length, added = result.added.length, removed = result.removed.length;
    const changes = [added && `${added} drawn`, removed && `${removed} removed`].filter(Boolean);
    const edited = changes.length ? ` (${changes.join(", ")} by you)` : "";
    $(".summary", this.el).textContent =
      `${plates} plate${plates === 1 ? "" : "s"} obscured${edited} · ${result.width}×${result.height}`;
    this.el.dataset.boxes = JSON.stringify(result.boxes);
    this.el.dataset.regions = JSON.stringify(result.regions);
    this.el.dataset.timings = JSON.stringify(result.timings);
    this.setState("done", plates ? "Done" : "Done: no plate found");
    if (this.stale) {
      this.stale = false;
      this.update();
    }
  }
}
