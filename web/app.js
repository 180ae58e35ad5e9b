// Main thread: wires the page to the Python worker. No image work happens here.
import { $, PhotoCard } from "./card.js";
import { LiveCamera, cameraMessage } from "./camera.js";
import { uniqueNames } from "./names.js";
import { SettingsForm } from "./settings-form.js";
import { VideoCard } from "./video/card.js";
import { WorkerClient } from "./worker-client.js";

const STARTUP = ["Loading Pyodide", "Loading packages", "Loaded packages", "Loaded Pyodide",
                 "download-photo-model", "compile-photo-model"];
const BACKENDS = { webgpu: "the GPU (WebGPU)", wasm: "the CPU (WebAssembly)" };
const items = new Map();          // id -> {id, file, card, buffer?, cancelled}
let queue = Promise.resolve();    // files are processed one at a time, in the order given
let current = null;               // the item being processed
let renderGeneration = 0;
let nextId = 1;

// ---- start-up and progress ---------------------------------------------------------------------

function setLoad(text, fraction) {
  $("#load-status").textContent = text;
  if (fraction !== undefined) $("#load-progress").value = fraction;
}

const percent = (done, total) => (total ? `${Math.round((100 * done) / total)}%` : "");

function onProgress(stage, done, total) {
  const step = STARTUP.indexOf(stage === "runtime" ? done : stage);
  if (stage === "runtime" && step >= 0) setLoad(`${done}…`, step / STARTUP.length);
  else if (stage === "download-photo-model") {
    setLoad(`Loading the plate detector… ${percent(done, total)}`, (step + (total ? done / total : 0)) / STARTUP.length);
  } else if (stage === "compile-photo-model") setLoad("Preparing the detector…", step / STARTUP.length);
  else if (stage === "download-stream-model" || stage === "compile-stream-model") {
    const text = `Loading the video detector… ${stage.startsWith("download") ? percent(done, total) : ""}`;
    if (current) current.card.setStatus(text);
    else $("#camera-status").textContent = text;
  } else if (stage === "backend-fallback") {   // WebGPU failed: the worker goes on with WASM
    document.body.dataset.backend = "wasm";
    setLoad(`WebGPU failed; the detector now runs on ${BACKENDS.wasm}.`);
  } else if (stage === "detect-pass" && current && total > 1) {
    current.card.setStatus(`Detecting… (${done + 1} of ${total} passes)`);
  }
}

const client = new WorkerClient(onProgress);
const settings = new SettingsForm($("#controls"), onSettingsChanged);
client.on("video-info", ({ id, info }) => items.get(id)?.card.info(info));
client.on("video-progress", ({ id, done, packets, config }) => {
  const card = items.get(id)?.card;
  if (!card) return;
  if (packets.length) card.packets(packets, config);
  card.progress(done);
  card.setStatus("Anonymising every frame…");
});

async function start() {
  document.body.dataset.app = "loading";
  try {
    // ?model=path/to.onnx (same site) swaps the detector, for benchmarks and comparisons
    const model = new URLSearchParams(location.search).get("model");
    const info = await client.start(model && !/^[a-z]+:|^\/\//i.test(model) ? model : undefined);
    settings.ready(info.settings);
    document.body.dataset.backend = info.backend;
    setLoad(`Ready (detector on ${BACKENDS[info.backend]}, loaded in ${(info.load_ms / 1000).toFixed(1)} s). `
            + "Drop photos or videos to start.", 1);
    window.plateblur = { info, sync: client.api };    // for the benchmarks
    $("[data-action=camera-start]").disabled = false;
    document.body.dataset.app = "ready";
  } catch (error) {
    document.body.dataset.app = "error";
    setLoad(`Could not start the anonymiser: ${error?.message || error}. Reload the page to try again.`);
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
    if (!(item.card instanceof PhotoCard) || item.card.state !== "done") continue;   // videos keep their export
    item.card.setState("working", "Updating…");
    item.card.show(await client.api.rerender(item.id, item.buffer, settings.values()));
  }
}

// ---- files --------------------------------------------------------------------------------------

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
    const item = { id: `f${nextId++}`, file, cancelled: false };
    items.set(item.id, item);
    const shown = isVideo(file).then((video) => {
      const remove = () => removeItem(item);
      item.card = video ? new VideoCard(file, remove, () => cancelItem(item)) : new PhotoCard(file, remove);
      $("#results").append(item.card.el);                 // in the order the files were given
    });
    queue = queue.then(() => shown).then(() => processItem(item));
  }
  queue.then(updateBatch);
}

function cancelItem(item) {
  item.cancelled = true;
  item.card.setStatus("Cancelling…");
  client.post({ type: "cancel", id: item.id });
}

async function processItem(item) {
  if (!items.has(item.id)) return;
  current = item;
  const { card } = item;
  try {
    card.setState("working", "Waiting for the detector…");
    await ready;
    if (item.cancelled) {
      card.show({ ok: false, cancelled: true, error: "cancelled" });
    } else if (card instanceof VideoCard) {
      card.setState("working", "Opening the video…");
      card.show(await client.api.process_video(item.id, item.file, settings.values()));
    } else {
      card.setState("working", "Detecting…");
      item.buffer = await item.file.arrayBuffer();
      card.showOriginal();
      card.show(await client.api.process_photo(item.id, item.buffer, settings.values()));
    }
  } catch (error) {
    card.show({ ok: false, error: error?.message || String(error) });
  } finally {
    current = null;
    updateBatch();
  }
}

function removeItem(item) {
  if (item.card.state === "working" || item.card.state === "queued") cancelItem(item);
  item.card.close();
  items.delete(item.id);
  ready.then(() => client.api.forget(item.id)).catch(() => {});
  updateBatch();
}

function updateBatch() {
  const cards = [...items.values()].filter((i) => i.card).map((i) => i.card);
  const done = cards.filter((c) => c.state === "done").length;
  const failed = cards.filter((c) => c.state === "error").length;
  const waiting = cards.length - done - failed;
  $("#batch-status").textContent = cards.length
    ? `${done} of ${cards.length} done${failed ? `, ${failed} failed` : ""}${waiting ? `, ${waiting} in progress` : ""}`
    : "";
  $("#download-all").hidden = done < 2;
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
  client, settings: () => settings.values(), onState: cameraUI, onRecording: addRecording,
});

function cameraUI() {
  const on = camera.running;
  $("[data-action=camera-start]").hidden = on;
  $("[data-action=camera-stop]").hidden = !on;
  const record = $("[data-action=record]");
  record.hidden = !on;
  record.textContent = camera.recording ? "Stop recording" : "Record";
  record.setAttribute("aria-pressed", String(camera.recording));
  $("canvas[data-role=live]").hidden = !on;
  if (!on) $("#camera-select").hidden = true;
}

async function startCamera(deviceId) {
  const status = $("#camera-status");
  status.classList.remove("error");
  status.textContent = "Starting the camera…";
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
    await camera.stop("Switching camera…");
    startCamera(e.target.value);
  });
  addEventListener("pagehide", () => camera.stop());
}

wire();
const ready = start();
ready.catch(() => {});   // the message is on the page; queued files report it too
