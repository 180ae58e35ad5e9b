// The settings form: filled from Python's defaults (the single source), read as plain values.
import { $ } from "./card.js";

const NUMERIC = ["strength", "pad", "conf"];

export class SettingsForm {
  constructor(form, onChange) {
    this.form = form;
    this.defaults = null;
    form.inert = true;
    form.addEventListener("input", () => { this.showValues(); onChange(); });
    $("#reset-settings", form).addEventListener("click", () => { this.fill(this.defaults); onChange(); });
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
    for (const name of NUMERIC) el[`${name}-value`].value = Number(el[name].value).toFixed(2);
    el.strength.disabled = el.mode.value === "fill";         // a solid fill has no strength
  }

  values() {
    const el = this.form.elements;
    const values = { mode: el.mode.value, detect_every: el.fast.checked ? 3 : 1, thorough: el.thorough.checked };
    for (const name of NUMERIC) values[name] = Number(el[name].value);
    return values;
  }
}
