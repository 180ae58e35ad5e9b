// Starts the Python worker and speaks its protocol (py/plateblur/browser/protocol.json): calls through
// PyScript's worker.sync, progress through the one callback, frames and packets over a MessagePort.
import protocol from "../py/plateblur/browser/protocol.json" with { type: "json" };

const siteURL = new URL("..", import.meta.url).href;          // the folder index.html is served from

export class WorkerClient {
  // onProgress(stage, done, total): stage is a protocol stage, or PyScript's own start-up step text.
  constructor(onProgress) {
    this.onProgress = onProgress;
    this.handlers = new Map();
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.port.onmessage = ({ data }) => this.handlers.get(data.type)?.(data);
    this.workerPort = channel.port2;
    addEventListener("py:progress", ({ detail }) => onProgress("runtime", detail));
  }

  async start(modelFile) {
    const threads = crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
    // `version` names the local Pyodide: PyWorker does not read `interpreter` from the config itself.
    const options = { config: `${siteURL}pyscript.toml`, version: `${siteURL}vendor/pyodide/pyodide.mjs` };
    const { PyWorker } = await import("../vendor/pyscript/core.js");
    const worker = await PyWorker(`${siteURL}py/plateblur/browser/worker.py`, options);
    worker.sync.progress = (stage, done, total) => this.onProgress(stage, done, total);
    const info = await (modelFile ? worker.sync.load(siteURL, threads, modelFile) : worker.sync.load(siteURL, threads));
    worker.postMessage({ type: "connect" }, [this.workerPort]);       // the worker's JS takes it (web/worker/port.js)
    this.api = Object.fromEntries(Object.keys(protocol.exports).map((name) => [name, worker.sync[name]]));
    return info;
  }

  // Sends a port message (its type one of protocol.port) to the worker's JS.
  post(message, transfer = []) {
    if (!(message.type in protocol.port)) throw new Error(`not in the protocol: ${message.type}`);
    this.port.postMessage(message, transfer);
  }

  on(type, handler) {
    if (!(type in protocol.port)) throw new Error(`not in the protocol: ${type}`);
    this.handlers.set(type, handler);
  }
}
