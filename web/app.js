// Main thread: wires the page to the Python worker. No image work happens here.
import { $, PhotoCard } from "./card.js";
import { LiveCamera, cameraMessage } from "./camera.js";
import { keepExport } from "./exports.js";
import { uniqueNames } from "./names.js";
import { serviceWorkerReady } from "./offline.js";
import { SettingsForm } from "./settings-form.js";
import { VideoCard } from "./video/card.js";
import { WorkerClient } from "./worker-client.js";

const STARTUP = ["Loading Pyodide", "Loading packages", "Loaded packages", "Loaded Pyodide",
                 "download-photo-model", "compile-photo-model"];
const BACKENDS = { webgpu: "the GPU (WebGPU)", wasm: "the CPU (WebAssembly)" };
const items = new Map();          // id -> {id, file, card, buffer?, cancelled, worker?, export?}
let queue = Promise.resolve();    // files are processed one at a time, in the order given
let current = null;               // the item being processed
let renderGeneration = 0;
let nextId = 1;

// ---- start-up and progress ---------------------------------------------------------------------

function setLoad(text, fraction) {
  $("#load-status").textContent = text;
  if (fraction !== undefined) $("#load-progress").value = fraction;
}

const bytes = (done, total) => (total ? `${(done / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB` : "");

function onDownload(done, total) {    // the service worker's first install: every file of the release
  setLoad(`Downloading the app for offline use… ${bytes(done, total)}`, total ? done / total : 0);
}

function onProgress(stage, done, total) {
  const step = STARTUP.indexOf(stage === "runtime" ? done : stage);
  if (stage === "runtime" && step >= 0) setLoad(`${done}…`, step / STARTUP.length);
  else if (stage === "download-photo-model") {
    setLoad(`Loading the plate detector… ${bytes(done, total)}`, (step + (total ? done / total : 0)) / STARTUP.length);
  } else if (stage === "compile-photo-model") setLoad("Preparing the detector…", step / STARTUP.length);
  else if (stage === "download-stream-model" || stage === "compile-stream-model") {
    const text = `Loading the video detector… ${stage.startsWith("download") ? bytes(done, total) : ""}`;
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
client.on("video-info", ({ id, info, export: name }) => {
  const item = items.get(id);
  // the page holds the export file from now on; one whose item is gone or failed already is deleted
  if (name) {
    keepExport(name).then((release) => {
      if (items.has(id) && item.card.state !== "error") {
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
  card.setStatus("Anonymising every frame…");
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
    if (!settings.defaults) settings.ready(info.settings);     // a restart keeps the user's settings
    document.body.dataset.backend = info.backend;
    const again = client.generation > 1 ? "restarted, " : "";
    setLoad(`Ready (detector on ${BACKENDS[info.backend]}, ${again}loaded in ${(info.load_ms / 1000).toFixed(1)} s). `
            + "Drop photos or videos to start.", 1);
    window.plateblur = {           // for the benchmarks and tests
      info, get sync() { return client.api; }, get worker() { return client.worker; },
      get longestSilenceMs() { return client.longestSilenceMs; },
    };
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

function addFiles(files) {
  for (const file of files) {
    const item = { id: `f${nextId++}`, file, cancelled: false };
    items.set(item.id, item);
    const shown = isVideo(file).then((video) => {
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
      item.worker = client.generation;
      card.show(await client.api.process_photo(item.id, item.buffer, settings.values()));
    }
  } catch (error) {
    card.show({ ok: false, error: error?.message || String(error) });
  } finally {
    current = null;
    if (card.state !== "done") releaseExport(item);
    updateBatch();
  }
}

// A processed video again, with the person's edits, in turn with the other files: no detector run.
function reexportItem(item, record, edits) {
  const run = queue.then(() => client.api.reexport_video(item.id, item.file, settings.values(), record, edits))
    .catch((error) => ({ ok: false, error: error?.message || String(error) }));
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
  setLoad("The anonymiser stopped; restarting it…", 0);
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
    status.textContent = error?.name === "WorkerLost" ? `The camera view stopped: ${error.message}.` : cameraMessage(error);
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
let ready = start();
ready.catch(() => {});   // the message is on the page; queued files report it too
