// What photo and video results share: a card from a <template>, its state (the page's public hooks
// `.result[data-state]`), status line, download link and remove button.
import { anonymisedName } from "./names.js";

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
  constructor(file, onRemove) {
    super("#result-template", file, onRemove);
    this.result = null;
  }

  showOriginal() {
    $(".before", this.el).src = this.url(this.file);
  }

  show(result) {
    if (!result.ok) {
      this.result = null;
      $(".pair", this.el).hidden = true;
      $(".summary", this.el).textContent = "";
      this.fail(`Not processed: ${result.error}`);
      return;
    }
    this.result = result;
    while (this.urls.length > 1) URL.revokeObjectURL(this.urls.pop());   // keep the original's URL
    const blob = new Blob([result.data], { type: result.mime });
    this.offerDownload(blob, result.extension);
    $(".after", this.el).src = $(".download", this.el).href;
    const plates = result.boxes.length;
    $(".summary", this.el).textContent =
      `${plates} plate${plates === 1 ? "" : "s"} obscured · ${result.width}×${result.height}`;
    this.el.dataset.boxes = JSON.stringify(result.boxes);
    this.el.dataset.regions = JSON.stringify(result.regions);
    this.el.dataset.timings = JSON.stringify(result.timings);
    this.setState("done", plates ? "Done" : "Done: no plate found");
  }
}
