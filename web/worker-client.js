// Starts the Python worker and speaks its protocol (py/plateblur/browser/protocol.json): calls through
// PyScript's worker.sync, progress through the one callback, frames and packets over a MessagePort.
// It also watches the worker: one that dies (its lifeline lock frees), crashes (Python stops
// answering) or hangs (no answer to a ping for SILENCE_LIMIT_MS) is given up: the calls in flight
// fail with a WorkerLost error, onLost is told, and start() makes a new one.
import protocol from "../py/plateblur/browser/protocol.json" with { type: "json" };

const siteURL = new URL("..", import.meta.url).href;          // the folder index.html is served from
const PING_EVERY_MS = 1000;
// The longest a ping may wait for its answer. The worker answers at once unless Python computes
// without awaiting (a model run, decoding or encoding a photo): the longest wait measured was 2.6 s
// (video frames, photos, worker start-ups, on 2 cores shared with a load average near 20), so a
// device several times slower, or a much larger photo, still stays within the limit.
export const SILENCE_LIMIT_MS = 15_000;


export class WorkerClient {
  // onProgress(stage, done, total): stage is a protocol stage, or PyScript's own start-up step text.
  constructor(onProgress) {
    this.onProgress = onProgress;
    this.onLost = () => {};           // (error) after a worker was given up; the page calls start() again
    this.handlers = new Map();
    this.generation = 0;              // the current worker's number (1, 2, … after restarts)
    this.longestSilenceMs = 0;        // the longest a ping waited for its answer (measurements)
    addEventListener("py:progress", ({ detail }) => this.onProgress("runtime", detail));
  }

  async start(modelFile) {
    const generation = ++this.generation;
    const threads = crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
    // `version` names the local Pyodide: PyWorker does not read `interpreter` from the config itself.
    const options = { config: `${siteURL}pyscript.toml`, version: `${siteURL}vendor/pyodide/pyodide.mjs` };
    // PyScript's core is imported when the worker starts: imported earlier, once it has read its
    // configuration it compiles its default worker hook with Function(), which the policy forbids.
    const { PyWorker, hooks } = await import("../vendor/pyscript/core.js");
    // PyScript sends the worker hooks it registers (once its own start-up is done, so a restarted worker
    // would get them) as source text that it compiles with Function(), which the page's policy forbids.
    // This worker uses none of them (polyscript's xworker, not the `pyscript` module): none are sent.
    for (const set of Object.values(hooks.worker)) set.clear();
    const worker = await PyWorker(`${siteURL}py/plateblur/browser/worker.py`, options);
    let fail;
    const lost = new Promise((_, reject) => { fail = reject; });
    lost.catch(() => {});
    Object.assign(this, { worker, lost, fail, gone: false, started: false, waitingSince: null });
    worker.sync.progress = (stage, done, total) => this.onProgress(stage, done, total);
    worker.addEventListener("error", () => this.probe(generation));
    const info = await this.race(modelFile ? worker.sync.load(siteURL, threads, modelFile) : worker.sync.load(siteURL, threads));
    if (!info.ok) throw Object.assign(new Error(info.error), { name: info.error_name, detail: info.detail, params: info.params });
    const missing = Object.keys(protocol.controls).filter((name) => name !== "about" && !(name in (info.controls ?? {})));
    if (missing.length) throw new Error(`load() sent no controls: ${missing.join(", ")}`);     // fail closed
    const channel = new MessageChannel();
    this.port = channel.port1;
    const lifeline = `plateblur-worker-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    this.port.onmessage = ({ data }) => {
      if (data.type === "pong") this.answered();
      else if (data.type === "connected") navigator.locks?.request(lifeline, () => this.lose(generation, "stopped"));
      else this.handlers.get(data.type)?.(data);
    };
    // the worker's JS takes the port (web/worker/port.js) and holds the lifeline lock while it lives
    worker.postMessage({ type: "connect", lifeline }, [channel.port2]);
    this.timer = setInterval(() => this.ping(generation), PING_EVERY_MS);
    this.api = Object.fromEntries(Object.keys(protocol.exports).map((name) => [name, (...args) => this.call(name, args)]));
    this.started = true;
    return info;
  }

  // Calls an export; fails with a WorkerLost error when the worker is given up first.
  call(name, args) {
    const generation = this.generation;
    const call = this.worker.sync[name](...args);
    call.catch(() => this.probe(generation));      // the exports never throw: is Python still there?
    return this.race(call);
  }

  race(promise) {
    return Promise.race([promise, this.lost]);
  }

  // A failed call or an uncaught worker error: Python is lost if it cannot answer a trivial call.
  probe(generation) {
    if (generation === this.generation && !this.gone) {
      this.worker.sync.forget("").catch(() => this.lose(generation, "stopped"));
    }
  }

  // Once a second: a ping, unless the last one is still unanswered; given up after SILENCE_LIMIT_MS.
  ping(generation) {
    if (this.waitingSince === null) {
      this.waitingSince = performance.now();
      this.post({ type: "ping" });
    } else if (performance.now() - this.waitingSince > SILENCE_LIMIT_MS) {
      this.lose(generation, "hung");
    }
  }

  answered() {
    this.longestSilenceMs = Math.max(this.longestSilenceMs, performance.now() - this.waitingSince);
    this.waitingSince = null;
  }

  lose(generation, reason) {
    if (generation !== this.generation || this.gone) return;      // an earlier worker, or lost already
    this.gone = true;
    clearInterval(this.timer);
    this.port?.close();
    this.worker.terminate();
    // the page says why in its language (error.worker.<reason>); the message is for logs
    const error = Object.assign(new Error(`worker ${reason}`), { name: "WorkerLost", reason, detail: `worker.${reason}`,
                                                                  params: reason === "hung" ? { seconds: SILENCE_LIMIT_MS / 1000 } : {} });
    this.fail(error);
    if (this.started) this.onLost(error);         // lost while starting: start() fails instead
  }

  // Sends a port message (its type one of protocol.port) to the worker's JS.
  post(message, transfer = []) {
    if (!(message.type in protocol.port)) throw new Error(`not in the protocol: ${message.type}`);
    this.port?.postMessage(message, transfer);
  }

  on(type, handler) {
    if (!(type in protocol.port)) throw new Error(`not in the protocol: ${type}`);
    this.handlers.set(type, handler);
  }
}
