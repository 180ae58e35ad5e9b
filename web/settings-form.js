// The settings form: filled from Python's defaults (the single source), read as plain values. Each
// slider's value shows next to its label as a percentage and is the slider's own aria-valuetext, so a
// screen reader says it once, when it changes (no live region).
import { $ } from "./card.js";
import { decimal, onLanguage, t } from "./i18n/index.js";

const NUMERIC = ["strength", "pad", "conf"];

export class SettingsForm {
  constructor(form, onChange) {
    this.form = form;
    this.defaults = null;
    form.inert = true;
    form.addEventListener("input", () => { this.showValues(); onChange(); });
    $("#reset-settings", form).addEventListener("click", () => { this.fill(this.defaults); onChange(); });
    onLanguage(() => this.showValues());
  }

  ready(defaults) {
    this.defaults = defaults;
    this.fill(defaults);
    this.form.inert = false;
  }

  fill(values) {
    const el = this.form.elements;
    el.mode.value = values.mode;
    el.fast.checked = values.detect_every > 1;
    el.thorough.checked = values.thorough;
    for (const name of NUMERIC) el[name].value = values[name];
    this.showValues();
  }

  showValues() {
    const el = this.form.elements;
    for (const name of NUMERIC) {
      const shown = t("settings.percent", { value: decimal(100 * Number(el[name].value), 0) });
      $(`[data-value-of=${name}]`, this.form).textContent = shown;
      el[name].setAttribute("aria-valuetext", shown);
    }
    el.strength.disabled = el.mode.value === "fill";         // a solid fill has no strength
  }

  values() {
    const el = this.form.elements;
    const values = { mode: el.mode.value, detect_every: el.fast.checked ? 3 : 1, thorough: el.thorough.checked };
    for (const name of NUMERIC) values[name] = Number(el[name].value);
    return values;
  }
}
