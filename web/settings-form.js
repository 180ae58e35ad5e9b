// The settings form, built from the rules the worker sends at load (py/plateblur/settings.py, protocol.json
// "controls"): the mode's options, each slider's range and step, which mode has no strength, what "Fast
// video" sets and what the camera always runs with. The page keeps no copy of them, so it cannot offer a
// value Settings refuses; until they arrive the form is inert. Each slider's value shows next to its label
// as a percentage and is the slider's own aria-valuetext, so a screen reader says it once, when it changes
// (no live region). "Hide" (a checkbox per choice of controls.hide: plates, faces) is remembered in this
// browser like the language; at least one stays ticked (unticking the last one ticks it again).
import { $ } from "./card.js";
import { decimal, msg, onLanguage, t, text } from "./i18n/index.js";

const STORED_HIDE = "plateblur-hide";

function storedHide() {
  try { return JSON.parse(localStorage.getItem(STORED_HIDE)); } catch { return null; }   // blocked or unset
}

export class SettingsForm {
  constructor(form, onChange) {
    this.form = form;
    this.rules = null;
    form.inert = true;
    form.addEventListener("input", ({ target }) => {
      if (target.name === "hide") this.keepOneHidden(target);
      this.showValues();
      onChange();
    });
    $("#reset-settings", form).addEventListener("click", () => { this.fill(this.rules.defaults); this.rememberHide(); onChange(); });
    onLanguage(() => this.showValues());
  }

  // Every load (a restarted worker too): the controls from `rules`; the person's values stay, kept
  // within the rules (fill()); on the first, what this browser remembers to hide.
  ready(rules) {
    const kept = this.rules ? this.values() : { ...rules.defaults, hide: storedHide() ?? rules.defaults.hide };
    this.rules = rules;
    const el = this.form.elements;
    $("[data-role=hide-choices]", this.form).replaceChildren(...rules.hide.map((choice) => {
      const label = document.createElement("label"), box = document.createElement("input"), name = document.createElement("span");
      box.type = "checkbox";
      Object.assign(box, { name: "hide", value: choice });
      box.dataset.role = `hide-${choice}`;
      box.setAttribute("aria-describedby", "help-hide");
      text(name, msg(`settings.hide.${choice}`));
      label.append(box, " ", name);
      return label;
    }));
    el.mode.replaceChildren(...rules.modes.map(({ name }) => {
      const option = new Option("", name);
      text(option, msg(`mode.${name}`));
      return option;
    }));
    for (const name of rules.sliders) {
      const { min, max, step } = rules.ranges[name];
      Object.assign(el[name], { min, max, step });
    }
    text($("#help-fast", this.form), msg("help.fast", { every: rules.fast_video.detect_every }));
    this.fill(kept);
    this.form.inert = false;
  }

  // Sets the form to `values`, within the rules: an unknown mode or a missing number gives way to the
  // default, and a slider clamps and snaps a number to its range and step (HTML's value sanitization).
  fill(values) {
    const el = this.form.elements;
    const { defaults, modes, sliders, fast_video } = this.rules;
    el.mode.value = modes.some(({ name }) => name === values.mode) ? values.mode : defaults.mode;
    el.fast.checked = Object.entries(fast_video).every(([name, value]) => values[name] === value);
    el.thorough.checked = Boolean(values.thorough);
    const hide = this.rules.hide.filter((choice) => Array.isArray(values.hide) && values.hide.includes(choice));
    for (const box of this.hideBoxes()) box.checked = (hide.length ? hide : defaults.hide).includes(box.value);
    for (const name of sliders) el[name].value = Number.isFinite(values[name]) ? values[name] : defaults[name];
    this.showValues();
  }

  hideBoxes() {
    return [...this.form.querySelectorAll("input[name=hide]")];
  }

  // The last ticked choice of "Hide" cannot be unticked: something is always hidden.
  keepOneHidden(box) {
    if (!this.hideBoxes().some((b) => b.checked)) box.checked = true;
    this.rememberHide();
  }

  rememberHide() {
    try { localStorage.setItem(STORED_HIDE, JSON.stringify(this.values().hide)); } catch { /* not remembered */ }
  }

  showValues() {
    if (!this.rules) return;                 // nothing to show before the rules came
    const el = this.form.elements;
    for (const name of this.rules.sliders) {
      const shown = t("settings.percent", { value: decimal(100 * Number(el[name].value), 0) });
      $(`[data-value-of=${name}]`, this.form).textContent = shown;
      el[name].setAttribute("aria-valuetext", shown);
    }
    el.strength.disabled = !this.rules.modes.find(({ name }) => name === el.mode.value).strength;
  }

  // The settings for files, as the form sets them.
  values() {
    const el = this.form.elements;
    const values = { mode: el.mode.value, thorough: el.thorough.checked, detect_every: this.rules.defaults.detect_every,
                     hide: this.hideBoxes().filter((box) => box.checked).map((box) => box.value) };
    if (el.fast.checked) Object.assign(values, this.rules.fast_video);
    for (const name of this.rules.sliders) values[name] = Number(el[name].value);
    return values;
  }

  // The settings for the live camera: the form's, with the camera's own on top.
  cameraValues() {
    return { ...this.values(), ...this.rules.camera };
  }
}
