// Main thread: wires the page to the Python worker. No image work happens here.
import { PyWorker } from "../vendor/pyscript/core.js";
import { VideoCard } from "./video/card.js";
import { LiveCamera, cameraMessage } from "./camera.js";

const $ = (selector, root = document) => root.querySelector(selector);
const siteURL = new URL("..", import.meta.url).href;          // the folder index.html is served from
const LOAD_STEPS = ["Loading Pyodide", "Loading packages", "Loaded packages", "Loaded Pyodide", "model", "compile"];

const items = new Map();          // id -> {id, file, buffer, el, urls, result, removed}
let workerReady;                  // Promise<worker.sync>
let defaults = null;              // settings from Python (the single source of defaults)
let queue = Promise.resolve();    // photos are processed one at a time, in order
let current = null;               // the item being processed
let renderGeneration = 0;
let nextId = 1;

// ---- start-up ---------------------------------------------------------------------------------

function setLoad(text, fraction) {
  $("#load-status").textContent = text;
  if (fraction !== undefined) $("#load-progress").value = fraction;
}

function onProgress(stage, done, total) {
  if (stage === "detect" && current) {
    if (total > 1) setStatus(current, `Detecting… (${done + 1} of ${total} passes)`);
    return;
  }
  if (stage === "stream-model" || (stage === "compile" && document.body.dataset.app === "ready")) {
    const text = `Loading the video detector… ${total ? Math.round((100 * done) / total) + "%" : ""}`;
    if (current) setStatus(current, text);
    else $("#camera-status").textContent = text;
    return;
  }
  const step = LOAD_STEPS.indexOf(stage);
  if (stage === "model") {
    const share = total ? done / total : 0;
    setLoad(`Loading the plate detector… ${total ? Math.round(share * 100) + "%" : ""}`,
            (step + share) / LOAD_STEPS.length);
  } else if (stage === "compile") {
    setLoad("Preparing the detector…", step / LOAD_STEPS.length);
  }
}

addEventListener("py:progress", ({ detail }) => {
  const step = LOAD_STEPS.indexOf(detail);
  if (step >= 0) setLoad(`${detail}…`, step / LOAD_STEPS.length);
});

function startWorker() {
  document.body.dataset.app = "loading";
  const threads = crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  let worker;
  // `version` names the local Pyodide: PyWorker does not read `interpreter` from the config itself.
  const options = { config: `${siteURL}pyscript.toml`, version: `${siteURL}vendor/pyodide/pyodide.mjs` };
  return PyWorker(`${siteURL}py/plateblur/browser/worker.py`, options)
    .then((ready) => {
      worker = ready;
      worker.sync.progress = onProgress;
      worker.sync.video_info = (id, info) => items.get(id)?.card?.info(info);
      worker.sync.video_progress = (id, done, packets, config) => {
        const item = items.get(id);
        if (!item?.card) return;
        if (packets.length) item.card.packets(packets, config);
        item.card.progress(done);
        setStatus(item, "Anonymising every frame…");
      };
      // ?model=path/to.onnx (same site) swaps the detector, for benchmarks and comparisons
      const model = new URLSearchParams(location.search).get("model");
      return model && !/^[a-z]+:|^\/\//i.test(model)
        ? worker.sync.load(siteURL, threads, model)
        : worker.sync.load(siteURL, threads);
    })
    .then((info) => {
      defaults = info.settings;
      fillControls(defaults);
      $("#controls").inert = false;
      setLoad(`Ready (detector loaded in ${(info.load_ms / 1000).toFixed(1)} s). Drop photos or videos to start.`, 1);
      window.plateblur = { info, sync: worker.sync };    // for the benchmarks
      $("[data-action=camera-start]").disabled = false;
      document.body.dataset.app = "ready";
      syncNow = worker.sync;
      return worker.sync;
    })
    .catch((error) => {
      document.body.dataset.app = "error";
      setLoad(`Could not start the anonymiser: ${error?.message || error}. Reload the page to try again.`);
      throw error;
    });
}

// ---- settings ---------------------------------------------------------------------------------

const NUMERIC = ["strength", "pad", "conf"];

function fillControls(values) {
  const form = $("#controls");
  form.elements.mode.value = values.mode;
  form.elements.fast.checked = values.detect_every > 1;
  for (const name of NUMERIC) form.elements[name].value = values[name];
  showValues();
}

function showValues() {
  const form = $("#controls");
  for (const name of NUMERIC) form.elements[`${name}-value`].value = Number(form.elements[name].value).toFixed(2);
}

function currentSettings() {
  const form = $("#controls");
  const values = { mode: form.elements.mode.value, detect_every: form.elements.fast.checked ? 3 : 1 };
  for (const name of NUMERIC) values[name] = Number(form.elements[name].value);
  return values;
}

let settingsTimer;
function onSettingsChanged() {
  showValues();
  clearTimeout(settingsTimer);
  settingsTimer = setTimeout(rerenderAll, 150);
}

async function rerenderAll() {
  const generation = ++renderGeneration;
  const sync = await workerReady;
  for (const item of items.values()) {
    if (generation !== renderGeneration) return;          // a newer change supersedes this pass
    if (item.removed || item.card || item.el.dataset.state !== "done") continue;   // videos keep their export
    setState(item, "working", "Updating…");
    const result = await sync.rerender(item.id, item.buffer, currentSettings());
    showResult(item, result);
  }
}

// ---- photos -----------------------------------------------------------------------------------

// Containers are told by their first bytes (ISO BMFF "ftyp", EBML), else by the browser's MIME type.
async function isVideo(file) {
  const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  const ascii = String.fromCharCode(...head.slice(4, 8));
  if (["ftyp", "moov", "mdat", "wide", "free"].includes(ascii)) return true;
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return true;
  return file.type.startsWith("video/");
}

function addFiles(files) {
  for (const file of files) {
    const item = { id: `p${nextId++}`, file, urls: [], removed: false };
    items.set(item.id, item);
    const ready = isVideo(file).then((video) => {
      const template = video ? "#video-template" : "#result-template";
      item.el = $(template).content.firstElementChild.cloneNode(true);
      $(".name", item.el).textContent = file.name || "pasted image";
      $(".remove", item.el).addEventListener("click", () => removeItem(item));
      if (video) item.card = new VideoCard(item.el, () => cancelItem(item));
      $("#results").prepend(item.el);
    });
    queue = queue.then(() => ready).then(() => processItem(item));
  }
  queue.then(updateBatch);
}

function cancelItem(item) {
  setStatus(item, "Cancelling…");
  workerReady.then((sync) => sync.cancel_video(item.id)).catch(() => {});
}

function setState(item, state, text) {
  item.el.dataset.state = state;
  setStatus(item, text);
}

function setStatus(item, text) {
  $(".status", item.el).textContent = text;
}

function showImage(item, selector, blob) {
  const url = URL.createObjectURL(blob);
  item.urls.push(url);
  $(selector, item.el).src = url;
  return url;
}

async function processItem(item) {
  if (item.removed) return;
  current = item;
  try {
    setState(item, "working", "Waiting for the detector…");
    const sync = await workerReady;
    if (item.card) {
      setState(item, "working", "Opening the video…");
      showVideoResult(item, await sync.process_video(item.id, item.file, currentSettings()));
      return;
    }
    setState(item, "working", "Detecting…");
    item.buffer = await item.file.arrayBuffer();
    showImage(item, ".before", item.file);
    showResult(item, await sync.process(item.id, item.buffer, currentSettings()));
  } catch (error) {
    showResult(item, { ok: false, error: error?.message || String(error) });
  } finally {
    current = null;
    updateBatch();
  }
}

function showVideoResult(item, result) {
  if (item.removed) return;
  if (!result.ok) {
    item.card.close();
    $(".progress-row", item.el).hidden = true;
    $(".playback", item.el).hidden = !result.cancelled;
    $(".player-controls", item.el).hidden = !result.cancelled;
    setState(item, "error", result.cancelled ? "Cancelled" : `Not processed: ${result.error}`);
    if (!result.cancelled) $(".status", item.el).setAttribute("role", "alert");
    return;
  }
  item.result = result;
  item.card.finish(result, item.file.name);
  setState(item, "done", result.failed_frames ? "Done (some frames fully hidden)" : "Done");
}

function showResult(item, result) {
  if (item.removed) return;
  if (!result.ok) {
    item.result = null;
    item.el.classList.add("failed");
    $(".pair", item.el).hidden = true;
    $(".download", item.el).hidden = true;
    $(".summary", item.el).textContent = "";
    setState(item, "error", `Not processed: ${result.error}`);
    $(".status", item.el).setAttribute("role", "alert");
    return;
  }
  item.result = result;
  const blob = new Blob([result.data], { type: result.mime });
  while (item.urls.length > 1) URL.revokeObjectURL(item.urls.pop());   // keep the original's URL
  const url = showImage(item, ".after", blob);
  const link = $(".download", item.el);
  link.href = url;
  link.download = outputName(item.file.name, result.extension);
  link.textContent = `Download ${link.download}`;
  link.hidden = false;
  const plates = result.boxes.length;
  $(".summary", item.el).textContent =
    `${plates} plate${plates === 1 ? "" : "s"} obscured · ${result.width}×${result.height}`;
  item.el.dataset.boxes = JSON.stringify(result.boxes);
  item.el.dataset.regions = JSON.stringify(result.regions);
  item.el.dataset.timings = JSON.stringify(result.timings);
  setState(item, "done", plates ? "Done" : "Done: no plate found");
}

function outputName(name, extension) {
  const stem = (name || "photo").replace(/\.[^.]*$/, "");
  return `${stem}_anonymised${extension}`;
}

function removeItem(item) {
  if (item.card && item.el.dataset.state === "working") cancelItem(item);
  item.card?.close();
  item.removed = true;
  item.urls.forEach((url) => URL.revokeObjectURL(url));
  item.el.remove();
  items.delete(item.id);
  workerReady.then((sync) => sync.forget(item.id)).catch(() => {});
  updateBatch();
}

function updateBatch() {
  const all = [...items.values()].filter((i) => i.el);
  const done = all.filter((i) => i.el.dataset.state === "done").length;
  const failed = all.filter((i) => i.el.dataset.state === "error").length;
  const waiting = all.length - done - failed;
  $("#batch-status").textContent = all.length
    ? `${done} of ${all.length} done${failed ? `, ${failed} failed` : ""}${waiting ? `, ${waiting} in progress` : ""}`
    : "";
  $("#download-all").hidden = done < 2;
}

async function downloadAll() {
  const done = [...items.values()].filter((i) => i.result && !i.card && i.el.dataset.state === "done");
  const names = [], arrays = [], seen = new Set();
  for (const item of done) {
    let name = outputName(item.file.name, item.result.extension);
    for (let n = 2; seen.has(name); n++) name = outputName(`${item.file.name} (${n})`, item.result.extension);
    seen.add(name);
    names.push(name);
    arrays.push(item.result.data);
  }
  const sync = await workerReady;
  const zip = await sync.zip_files(names, arrays);
  const link = $("#download-all-link");
  URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([zip], { type: "application/zip" }));
  link.download = "anonymised-photos.zip";
  link.click();
}

// ---- camera -----------------------------------------------------------------------------------

let camera = null;
let syncNow = null;                // worker.sync once ready (the camera needs it synchronously)

function cameraUI() {
  const on = !!camera?.running;
  $("[data-action=camera-start]").hidden = on;
  $("[data-action=camera-stop]").hidden = !on;
  const record = $("[data-action=record]");
  record.hidden = !on;
  record.textContent = camera?.recorder ? "Stop recording" : "Record";
  record.setAttribute("aria-pressed", String(!!camera?.recorder));
  $("canvas[data-role=live]").hidden = !on;
  if (!on) $("#camera-select").hidden = true;
}

async function startCamera(deviceId) {
  const status = $("#camera-status");
  status.classList.remove("error");
  status.textContent = "Starting the camera…";
  camera = camera || new LiveCamera({
    canvas: $("canvas[data-role=live]"), status, select: $("#camera-select"),
    settings: currentSettings, sync: () => syncNow, onState: cameraUI, onRecording: addRecording,
  });
  try {
    await camera.start(deviceId);
  } catch (error) {
    await camera.stop();
    status.textContent = cameraMessage(error);
    status.classList.add("error");
  }
}

function addRecording(blob, frames) {
  const link = document.createElement("a");
  link.className = "button";
  link.href = URL.createObjectURL(blob);
  link.download = `camera-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}_anonymised.mp4`;
  link.textContent = `Download recording (${frames} frames)`;
  $("#recordings").append(link);
}

function wireCamera() {
  $("[data-action=camera-start]").addEventListener("click", () => startCamera());
  $("[data-action=camera-stop]").addEventListener("click", () => camera?.stop());
  $("[data-action=record]").addEventListener("click", () =>
    (camera.recorder ? camera.stopRecording() : camera.startRecording()));
  $("#camera-select").addEventListener("change", async (e) => {
    await camera.stop("Switching camera…");
    startCamera(e.target.value);
  });
  addEventListener("pagehide", () => camera?.stop());
}

// ---- wiring -----------------------------------------------------------------------------------

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
  const form = $("#controls");
  form.inert = true;
  form.addEventListener("input", onSettingsChanged);
  $("#reset-settings").addEventListener("click", () => { fillControls(defaults); onSettingsChanged(); });
  $("#download-all").addEventListener("click", downloadAll);
}

wire();
wireCamera();
workerReady = startWorker();
workerReady.catch(() => {});   // the message is on the page; queued photos report it too
