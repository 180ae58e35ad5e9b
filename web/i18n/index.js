// The page's texts in German and English: web/i18n/<language>.json hold every text (one place per
// language), this module picks the language and fills them in. An element shows a text through
// text()/attr() (or data-i18n / data-i18n-attr="name:key;…" in the HTML); translate() fills them all
// again when the language changes, so no text needs to know about the switch.
import de from "./de.json" with { type: "json" };
import en from "./en.json" with { type: "json" };

const TEXTS = { en, de };
const STORED = "plateblur-language";
const args = new WeakMap();       // element -> {"": params of its text, <attribute>: params}
const listeners = [];
let current = initial();

function initial() {
  let stored = null;
  try { stored = localStorage.getItem(STORED); } catch { /* storage blocked: follow the browser */ }
  if (stored in TEXTS) return stored;
  for (const tag of navigator.languages?.length ? navigator.languages : [navigator.language || "en"]) {
    const primary = tag.toLowerCase().split("-")[0];
    if (primary in TEXTS) return primary;
  }
  return "en";
}

export const LANGUAGES = Object.keys(TEXTS);
export const language = () => current;

// A text to show later (or as part of another): {key, params}.
export const msg = (key, params = {}) => ({ key, params });

// The text of `key` in the current language, its {placeholders} filled from params (a placeholder's
// value may itself be a msg(), or a list of them, shown joined by "; "). With params.count,
// "<key>.one"/"<key>.other" by the language's plural rule.
export function t(key, params = {}) {
  const texts = TEXTS[current];
  let chosen = key;
  if (typeof params.count === "number" && !(key in texts)) {
    chosen = `${key}.${new Intl.PluralRules(current).select(params.count)}`;
    if (!(chosen in texts)) chosen = `${key}.other`;
  }
  const text = texts[chosen] ?? TEXTS.en[chosen] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => show(params[name]));
}

// Whether the texts have `key` (the worker's detail codes: a new one may not be there yet).
export const has = (key) => key in TEXTS[current] || key in TEXTS.en;

function show(value) {
  if (Array.isArray(value)) return value.map(show).join("; ");
  if (value && typeof value === "object" && "key" in value) return t(value.key, value.params);
  return value === undefined || value === null ? "" : String(value);
}

// A number with `digits` decimals as the language writes it (no grouping: "1280", "0,5").
export function decimal(value, digits) {
  return new Intl.NumberFormat(current, { minimumFractionDigits: digits, maximumFractionDigits: digits,
                                          useGrouping: false }).format(value);
}

// Shows a message (msg() or a plain string, e.g. a file name) as el's text, kept up to date.
export function text(el, message) {
  if (typeof message === "string") {
    delete el.dataset.i18n;
    el.textContent = message;
    return;
  }
  el.dataset.i18n = message.key;
  remember(el, "", message.params);
  el.textContent = t(message.key, message.params);
}

// Sets attribute `name` of el to a message's text, kept up to date.
export function attr(el, name, message) {
  const keys = parseAttrs(el);
  keys[name] = message.key;
  el.dataset.i18nAttr = Object.entries(keys).map(([a, k]) => `${a}:${k}`).join(";");
  remember(el, name, message.params);
  el.setAttribute(name, t(message.key, message.params));
}

function remember(el, slot, params) {
  const own = args.get(el) || {};
  own[slot] = params;
  args.set(el, own);
}

function parseAttrs(el) {
  return Object.fromEntries((el.dataset.i18nAttr || "").split(";").filter(Boolean).map((pair) => pair.split(":")));
}

// Fills in every text under root (an element, document or a template's content).
export function translate(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n, args.get(el)?.[""]);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const [name, key] of Object.entries(parseAttrs(el))) el.setAttribute(name, t(key, args.get(el)?.[name]));
  }
}

// fn() after each change of language (for texts made from state, such as a form's values).
export function onLanguage(fn) {
  listeners.push(fn);
}

export function setLanguage(lang, { remember: keep = true } = {}) {
  if (!(lang in TEXTS)) return;
  current = lang;
  if (keep) {
    try { localStorage.setItem(STORED, lang); } catch { /* not remembered, still switched */ }
  }
  document.documentElement.lang = lang;
  document.title = t("title");
  translate(document);
  for (const template of document.querySelectorAll("template")) translate(template.content);
  listeners.forEach((fn) => fn(lang));
}
