// The worker's end of the page's MessagePort (protocol.json, "port"): frames, packets and camera
// controls travel here, transferred, without going through Python.
import protocol from "../../py/plateblur/browser/protocol.json" with { type: "json" };
import en from "../i18n/en.json" with { type: "json" };

const handlers = new Map();        // message type -> handler(data)
let resolveConnected;
const connected = new Promise((resolve) => { resolveConnected = resolve; });

self.addEventListener("message", (event) => {
  if (event.data?.type !== "connect" || !event.ports.length) return;
  const port = event.ports[0];
  port.onmessage = ({ data }) => handlers.get(data.type)?.(data);
  const connected = () => {
    resolveConnected(port);
    port.postMessage({ type: "connected" });
  };
  // The lifeline lock is held as long as this worker lives: the page learns of its end when it frees.
  const { lifeline } = event.data;
  if (!lifeline || !navigator.locks) connected();
  else navigator.locks.request(lifeline, () => { connected(); return new Promise(() => {}); });
});

// Sends `message` (its `type` one of protocol.port) to the page, transferring `transfer`.
export async function post(message, transfer = []) {
  if (!(message.type in protocol.port)) throw new Error(`not in the protocol: ${message.type}`);
  (await connected).postMessage(message, transfer);
}

export function on(type, handler) {
  if (!(type in protocol.port)) throw new Error(`not in the protocol: ${type}`);
  handlers.set(type, handler);
}

// The page's heartbeat (web/worker-client.js): answered whenever Python lets this event loop run.
on("ping", () => post({ type: "pong" }));

// A JS error the Python side tells apart by name (py/plateblur/browser/errors.py), with the code of its
// detail and that code's params (protocol.json "details": the page says it in its own language). Its
// message is the English text (web/i18n/en.json) for logs, a `reason` param added (never shown on the page).
export function namedError(name, detail = null, params = {}) {
  if (!(name in protocol.errors)) throw new Error(`not in the protocol: ${name}`);
  if (detail && protocol.details[detail]?.error !== name) throw new Error(`not in the protocol: ${name} ${detail}`);
  return Object.assign(new Error(detail ? english(`error.${detail}`, params) : name), { name, detail, params });
}

// A note on a finished video (protocol.json "notes"): {code, params, text (English)}.
export function note(code, params) {
  if (!(code in protocol.notes)) throw new Error(`not in the protocol: ${code}`);
  return { code, params, text: english(`note.${code}`, params) };
}

function english(key, params) {
  const text = en[key].replace(/\{(\w+)\}/g, (_, param) => String(params[param]));
  return params.reason ? `${text} (${params.reason})` : text;
}
