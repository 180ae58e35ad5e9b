// Main thread: wires the page to the Python worker. No image work happens here.
import { $, PhotoCard, errorMessage, failure } from "./card.js";
import { LiveCamera, cameraMessage } from "./camera.js";
import { keepExport } from "./exports.js";
import { attr, decimal, language, msg, onLanguage, setLanguage, text } from "./i18n/index.js";
import { uniqueNames } from "./names.js";
import { serviceWorkerReady } from "./offline.js";
import { SettingsForm } from "./settings-form.js";
import { VideoCard, formatTime } from "./video/card.js";
import { WorkerClient } from "./worker-client.js";

const STARTUP = ["Loading Pyodide", "Loading packages", "Loaded packages", "Loaded Pyodide",
                 "download-photo-model", "compile-photo-model", "download-face-model", "compile-face-model"];
const BACKENDS = { webgpu: msg("backend.webgpu"), wasm: msg("backend.wasm") };
const touch = matchMedia("(pointer: coarse), (hover: none)");      // phones and tablets: no dragging files
const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");
const items = new Map();          // id -> {id, file, card, buffer?, cancelled, worker?, export?}
let batch = new Set();            // the items added since the queue was last idle: the progress counts them
let queue = Promise.resolve();    // files are processed one at a time, in the order given
let current = null;               // the item being processed
let renderGeneration = 0;
let nextId = 1;

// ---- start-up and progress ---------------------------------------------------------------------

// The start-up line: not a live region (it changes with every downloaded chunk); announce() tells
// a screen reader when the app is ready or failed.
function setLoad(message, fraction) {
  text($("#load-status"), message);
  if (fraction !== undefined) $("#load-progress").value = fraction;
}

function announce(message) {
  const announcer = $("#announcer");
  text(announcer, "");
  setTimeout(() => text(announcer, message), 50);      // a new text, even when it is the same again
}

const megabytes = (n) => decimal(n / 1e6, 1);
// "Loading…" with how far it is ("… 3.1 of 12.3 MB") where the size is known, else alone.
const loading = (key, done, total) => (total
  ? msg(`${key}.bytes`, { progress: msg("load.bytes", { done: megabytes(done), total: megabytes(total) }) }) : msg(key));

function onDownload(done, total) {    // the service worker's first install: every file of the release
  setLoad(loading("load.download", done, total), total ? done / total : 0);
}

// A detector loaded at start (the load line) or later (the file's card, else the camera's line).
function modelStatus(message, step, done, total) {
  if (document.body.dataset.app === "loading") setLoad(message, (step + (total ? done / total : 0)) / STARTUP.length);
  else if (current) current.card.setStatus(message);
  else text($("#camera-status"), message);
}

function onProgress(stage, done, total) {
  const step = STARTUP.indexOf(stage === "runtime" ? done : stage);
  if (stage === "runtime" && step >= 0) setLoad(msg(`load.step.${step}`), step / STARTUP.length);
  else if (stage === "download-photo-model") {
    setLoad(loading("load.detector", done, total), (step + (total ? done / total : 0)) / STARTUP.length);
  } else if (stage === "compile-photo-model") setLoad(msg("load.preparing"), step / STARTUP.length);
  else if (stage === "download-face-model" || stage === "compile-face-model") {   // at start; again if it failed
    modelStatus(loading("load.faceDetector", done, stage.startsWith("download") ? total : 0), step, done, total);
  } else if (stage === "download-stream-model" || stage === "compile-stream-model") {
    modelStatus(loading("load.videoDetector", done, stage.startsWith("download") ? total : 0), step, done, total);
  } else if (stage === "backend-fallback") {   // WebGPU failed: the worker goes on with WASM
    document.body.dataset.backend = "wasm";
    setLoad(msg("load.fallback", { backend: BACKENDS.wasm }));
  } else if (stage === "detect-pass" && current && total > 1) {
    current.card.setStatus(msg("card.passes", { pass: done + 1, total }));
  }
}

const client = new WorkerClient(onProgress);
const settings = new SettingsForm($("#controls"), onSettingsChanged);
client.on("video-info", ({ id, info, export: name }) => {
  const item = items.get(id);
  // the page holds the export file from now on; one whose item is gone or failed already is deleted
  if (name) {
    keepExport(name).then((release) => {
      if (items.has(id) && !["error", "cancelled"].includes(item.card.state)) {
        if (item.export) (item.replaced ||= []).push(item.export);   // a re-export's: the old one goes when it is done
        item.export = release;
      }
      else release({ remove: true });
    });
  }
  item?.card.info(info);
});
client.on("video-progress", ({ id, done, packets, config }) => {
  const card = items.get(id)?.card;
  if (!card) return;
  if (packets.length) card.packets(packets, config);
  card.progress(done);
  card.setStatus(msg("video.working"));
});

async function start() {
  document.body.dataset.app = "loading";
  $("[data-action=camera-start]").disabled = true;
  try {
    const offline = await serviceWorkerReady(onDownload);
    document.body.dataset.offline = offline.offline ? "yes" : "no";
    if (!offline.offline) console.info(`not available offline: ${offline.reason}`);
    // ?model=path/to.onnx (same site) swaps the detector, for benchmarks and comparisons
    const model = new URLSearchParams(location.search).get("model");
    const info = await client.start(model && !/^[a-z]+:|^\/\//i.test(model) ? model : undefined);
    settings.ready(info.controls);           // a restart keeps the person's settings, within the rules
    document.body.dataset.backend = info.backend;
    const readyText = msg("load.ready", { backend: BACKENDS[info.backend], again: client.generation > 1 ? msg("load.restarted") : "",
                                      seconds: decimal(info.load_ms / 1000, 1), start: startHint() });
    // without the face model the page runs for plates; each file or camera that is to hide faces fails
    document.body.dataset.faces = info.faces?.ok ? "ready" : "unavailable";
    const shown = info.faces?.ok ? readyText : msg("list.2", { a: readyText, b: msg("load.noFaces", { detail: errorMessage(info.faces ?? {}) }) });
    setLoad(shown, 1);
    announce(shown);
    window.plateblur = {           // for the benchmarks and tests
      info, get sync() { return client.api; }, get worker() { return client.worker; },
      get longestSilenceMs() { return client.longestSilenceMs; },
    };
    $("[data-action=camera-start]").disabled = false;
    document.body.dataset.app = "ready";
  } catch (error) {
    document.body.dataset.app = "error";
    const failed = msg("load.failed", { detail: errorMessage(failure(error)) });
    setLoad(failed);
    announce(failed);
    throw error;
  }
}

// ---- settings -----------------------------------------------------------------------------------

let settingsTimer;
function onSettingsChanged() {
  camera.settingsChanged();
  clearTimeout(settingsTimer);
  settingsTimer = setTimeout(rerenderPhotos, 150);
}

async function rerenderPhotos() {
  const generation = ++renderGeneration;
  await ready;
  for (const item of items.values()) {
    if (generation !== renderGeneration) return;          // a newer change supersedes this pass
    if (!(item.card instanceof PhotoCard)) continue;                        // videos keep their export
    await item.card.update();                                                 // keeps the person's edits
  }
}

// ---- files --------------------------------------------------------------------------------------

// ISO BMFF brands of HEIF and AVIF images (stills and sequences): photos, whatever their name.
const IMAGE_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "mif2", "msf1",
                              "avif", "avis", "avio", "miaf"]);
const VIDEO_BRAND = /^(isom|iso\d|mp4\d|avc\d|M4V |qt  |3g|dash)/;

// Containers are told by their first bytes (ISO BMFF "ftyp" unless its brands are an image's, EBML),
// else by the browser's MIME type.
async function isVideo(file) {
  const head = new Uint8Array(await file.slice(0, 64).arrayBuffer());
  const text = (from, to) => String.fromCharCode(...head.slice(from, to));
  const box = text(4, 8);
  if (box === "ftyp") {
    const major = text(8, 12);
    const end = Math.min(new DataView(head.buffer).getUint32(0), head.length);
    const compatible = Array.from({ length: Math.max(0, (end - 16) >> 2) }, (_, i) => text(16 + 4 * i, 20 + 4 * i));
    return !(IMAGE_BRANDS.has(major) || (!VIDEO_BRAND.test(major) && compatible.some((b) => IMAGE_BRANDS.has(b))));
  }
  if (["moov", "mdat", "wide", "free"].includes(box)) return true;
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return true;
  return file.type.startsWith("video/");
}

// The first of the files just added comes into view (on a phone the drop zone and settings fill the
// screen), and a screen reader is told how many were added.
function showAdded(card, count) {
  const box = card.el.getBoundingClientRect();
  if (box.top < 0 || box.top > innerHeight * 0.6) {
    card.el.scrollIntoView({ block: "start", behavior: reducedMotion.matches ? "auto" : "smooth" });
  }
  announce(msg("drop.added", { count }));
}

function addFiles(files) {
  if (!pending().length) batch = new Set();
  for (const file of files) {
    const item = { id: `f${nextId++}`, file, cancelled: false };
    items.set(item.id, item);
    batch.add(item);
    const slot = document.createElement("div");      // holds the file's place: the type checks finish in any order
    $("#results").append(slot);
    const shown = isVideo(file).catch(() => false).then((video) => {
      const remove = () => removeItem(item);
      const render = async (edits) => {
        if (item.worker !== client.generation) {    // a restarted worker has not seen the photo: it detects again
          item.worker = client.generation;
          const fresh = await client.api.process_photo(item.id, item.buffer, settings.values());
          if (!fresh.ok) return fresh;
        }
        return client.api.edit(item.id, item.buffer, settings.values(), edits);
      };
      item.card = video ? new VideoCard(file, remove, () => cancelItem(item), (record, edits) => reexportItem(item, record, edits))
        : new PhotoCard(file, remove, render);
      slot.replaceWith(item.card.el);                       // in the order the files were given
      if (file === files[0]) showAdded(item.card, files.length);
      updateBatch();
    });
    queue = queue.then(() => shown).then(() => processItem(item));
  }
  queue.then(updateBatch);
}

function cancelItem(item) {
  item.cancelled = true;
  item.card.setStatus(msg("card.cancelling"));
  client.post({ type: "cancel", id: item.id });
}

async function processItem(item) {
  if (!items.has(item.id)) return;
  current = item;
  const { card } = item;
  try {
    card.setState("working", msg("card.waitingDetector"));
    await ready;
    if (item.cancelled) {
      card.show({ ok: false, cancelled: true, error: "cancelled" });
    } else if (card instanceof VideoCard) {
      card.setState("working", msg("video.opening"));
      card.show(await client.api.process_video(item.id, item.file, settings.values()));
    } else {
      card.setState("working", msg("card.detecting"));
      item.buffer = await item.file.arrayBuffer();
      card.showOriginal();
      item.worker = client.generation;
      card.show(await client.api.process_photo(item.id, item.buffer, settings.values()));
    }
  } catch (error) {
    card.show(failure(error));
  } finally {
    current = null;
    if (card.state !== "done") releaseExport(item);
    updateBatch();
  }
}

// A processed video again, with the person's edits, in turn with the other files: no detector run.
function reexportItem(item, record, edits) {
  const run = queue.then(() => client.api.reexport_video(item.id, item.file, settings.values(), record, edits))
    .catch(failure);
  queue = run.then((result) => {
    for (const release of (item.replaced || []).splice(0)) release({ remove: true });   // the exports it replaced
    if (!result.ok) releaseExport(item);
    updateBatch();
  });
  return run;
}

function releaseExport(item) {
  for (const release of (item.replaced || []).splice(0)) release({ remove: true });
  item.export?.({ remove: true });
  item.export = null;
}

// The worker was given up (web/worker-client.js): the call in flight has failed with the reason;
// a new worker starts, and the queue goes on with it.
client.onLost = () => {
  setLoad(msg("load.lost"), 0);
  ready = start();
  ready.catch(() => {});
};

function removeItem(item) {
  if (item.card.state === "working" || item.card.state === "queued") cancelItem(item);
  item.card.close();
  items.delete(item.id);
  releaseExport(item);
  ready.then(() => client.api.forget(item.id)).catch(() => {});
  updateBatch();
}

const UNFINISHED = ["queued", "working"];

// The items still to be processed (a card not made yet counts).
function pending() {
  return [...items.values()].filter((i) => !i.card || UNFINISHED.includes(i.card.state));
}

// The batch line (a polite live region): while files are processed, how far the batch is ("4 of 12
// photos"), then what came of all files ("8 of 11 done, 1 failed, 2 cancelled").
function updateBatch() {
  const cards = [...items.values()].filter((i) => i.card).map((i) => i.card);
  const count = (list, state) => list.filter((c) => c.state === state).length;
  const outcome = (list) => ({ failed: count(list, "error") ? msg("batch.failed", { count: count(list, "error") }) : "",
                               cancelled: count(list, "cancelled") ? msg("batch.cancelled", { count: count(list, "cancelled") }) : "" });
  const running = [...batch].filter((i) => items.has(i.id));
  const finished = (list) => list.filter((i) => i.card && !UNFINISHED.includes(i.card.state)).length;
  const progress = $("#batch-progress");
  progress.hidden = finished(running) === running.length;
  if (!progress.hidden) {
    const kinds = [["batch.photos", running.filter((i) => !(i.card instanceof VideoCard))],
                   ["batch.videos", running.filter((i) => i.card instanceof VideoCard)]]
      .filter(([, list]) => list.length)
      .map(([key, list]) => msg(key, { count: list.length, done: finished(list) }));
    progress.max = running.length;
    progress.value = finished(running);
    text($("#batch-status"), msg("batch.running", { items: msg(`list.${kinds.length}`, { a: kinds[0], b: kinds[1] }),
                                                    ...outcome(running.map((i) => i.card).filter(Boolean)) }));
  } else {
    text($("#batch-status"), cards.length ? msg("batch.status", { done: count(cards, "done"), total: cards.length, ...outcome(cards) }) : "");
  }
  $("#download-all").hidden = count(cards, "done") < 2;
}

async function downloadAll() {
  const done = [...items.values()].filter((i) => i.card?.state === "done" && i.card.result);
  const names = uniqueNames(done.map((i) => ({ name: i.file.name || "file", extension: i.card.result.extension })));
  const arrays = await Promise.all(done.map(async ({ card: { result } }) =>
    (result.data instanceof Blob ? new Uint8Array(await result.data.arrayBuffer()) : result.data)));
  const zip = await client.api.zip_files(names, arrays);
  const link = $("#download-all-link");
  URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([zip], { type: "application/zip" }));
  link.download = "anonymised.zip";
  link.click();
}

// ---- camera -------------------------------------------------------------------------------------

const camera = new LiveCamera({
  canvas: $("canvas[data-role=live]"), status: $("#camera-status"), select: $("#camera-select"),
  client, settings: () => settings.cameraValues(), onState: cameraUI, onRecording: addRecording,
});

const cameraWas = { running: false, recording: false };
let recordingTimer = 0;

function cameraUI() {
  const on = camera.running, recording = camera.recording;
  $("[data-action=camera-start]").hidden = on;
  $("[data-action=camera-stop]").hidden = !on;
  const record = $("[data-action=record]");
  record.hidden = !on;
  text(record, msg(recording ? "camera.stopRecording" : "camera.record"));
  record.setAttribute("aria-pressed", String(recording));
  $("canvas[data-role=live]").hidden = !on;
  $(".workspace").classList.toggle("camera-on", on);
  if (!on) $("#camera-select").hidden = true;
  showRecording(recording);
  if (on && !cameraWas.running) announce(msg("camera.started"));
  if (recording !== cameraWas.recording) announce(msg(recording ? "camera.recordingStarted" : "camera.recordingStopped"));
  Object.assign(cameraWas, { running: on, recording });
}

// While recording: a red dot and the time since it started.
function showRecording(recording) {
  const indicator = $(".recording");
  if (recording === !indicator.hidden) return;
  indicator.hidden = !recording;
  clearInterval(recordingTimer);
  if (!recording) return;
  const started = performance.now();
  const tick = () => {
    const time = formatTime((performance.now() - started) / 1000);
    const elapsed = $(".recording .elapsed");
    elapsed.textContent = time;
    attr(elapsed, "aria-label", msg("camera.recordingFor", { time }));
  };
  tick();
  recordingTimer = setInterval(tick, 1000);
}

async function startCamera(deviceId) {
  const status = $("#camera-status");
  status.classList.remove("error");
  text(status, msg("camera.starting"));
  try {
    await camera.start(deviceId);
  } catch (error) {
    await camera.stop();
    const message = error?.name === "WorkerLost"
      ? msg("camera.viewStopped", { detail: errorMessage(failure(error)) })
      : cameraMessage(error);
    text(status, message);
    status.classList.add("error");
    announce(message);
  }
}

function addRecording(blob, frames) {
  const link = document.createElement("a");
  link.className = "button";
  link.href = URL.createObjectURL(blob);
  link.download = `camera-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}_anonymised.mp4`;
  text(link, msg("camera.downloadRecording", { frames }));
  $("#recordings").append(link);
}

// ---- wiring -------------------------------------------------------------------------------------

function wire() {
  const input = $("#file-input");
  input.addEventListener("change", () => { addFiles([...input.files]); input.value = ""; });
  const zone = $("#drop-zone");
  for (const type of ["dragenter", "dragover"]) {
    addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("dragging"); });
  }
  addEventListener("dragleave", (e) => { if (!e.relatedTarget) zone.classList.remove("dragging"); });
  addEventListener("drop", (e) => {            // anywhere on the page: never navigate away from results
    e.preventDefault();
    zone.classList.remove("dragging");
    addFiles([...e.dataTransfer.files]);
  });
  addEventListener("paste", (e) => {
    const files = [...(e.clipboardData?.files || [])];
    if (files.length) addFiles(files);
  });
  $("#download-all").addEventListener("click", downloadAll);
  $("[data-action=camera-start]").addEventListener("click", () => startCamera());
  $("[data-action=camera-stop]").addEventListener("click", () => camera.stop());
  $("[data-action=record]").addEventListener("click", () => camera.toggleRecording());
  $("#camera-select").addEventListener("change", async (e) => {
    await camera.stop(msg("camera.switching"));
    startCamera(e.target.value);
  });
  addEventListener("pagehide", () => camera.stop());
}

// ---- language and device -------------------------------------------------------------------------

function startHint() {
  return msg(touch.matches ? "load.startTouch" : "load.startMouse");
}

// On a touch screen there is nothing to drop files from: the button says what it does.
function showInputWording() {
  $("#drop-zone .drop-title").hidden = touch.matches;
  text($("#drop-zone label.button"), msg(touch.matches ? "drop.chooseTouch" : "drop.choose"));
}

function wireLanguage() {
  const select = $("#language");
  select.value = language();
  select.addEventListener("change", () => setLanguage(select.value));
  onLanguage((lang) => { select.value = lang; });
  setLanguage(language(), { remember: false });     // follows the browser until the person picks one
  showInputWording();
  touch.addEventListener("change", showInputWording);
  // On a small screen the settings start folded away: the photos come first.
  if (matchMedia("(max-width: 640px)").matches) $("#settings").open = false;
  addEventListener("error", ({ target }) => {       // as boot.js, in the page's language
    if (target instanceof HTMLScriptElement || target instanceof HTMLLinkElement) {
      setLoad(msg("load.missing", { url: target.src || target.href }));
    }
  }, true);
}

wireLanguage();
wire();
let ready = start();
ready.catch(() => {});   // the message is on the page; queued files report it too
