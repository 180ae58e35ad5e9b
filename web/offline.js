// The site's service worker (service-worker.js): caches this release for offline use and, where the host
// sends no isolation headers (GitHub Pages), makes the page cross-origin isolated (one reload, the first
// time). Without service workers (some private modes) the page runs as served: online, maybe one thread.
const RELOADED = "plateblur-reloaded-for-isolation";
const ADAPTER_WAIT_MS = 3000;

// The detector backend this browser offers ("webgpu" where it gives a WebGPU adapter, as the worker
// asks its own navigator.gpu; else "wasm"); "" when it cannot tell in time: the service worker then
// keeps what either backend uses.
async function detectorBackend() {
  if (!navigator.gpu) return "wasm";
  try {
    const adapter = await Promise.race([navigator.gpu.requestAdapter(),
                                        new Promise((resolve) => setTimeout(resolve, ADAPTER_WAIT_MS, undefined))]);
    return adapter === undefined ? "" : adapter ? "webgpu" : "wasm";
  } catch {
    return "wasm";
  }
}

// Resolves when the app may start: {offline: true} when this page is served from the cache, else
// {offline: false, reason} once the site has answered. onProgress(done, total) reports the bytes of the
// first download. Rejects when neither holds: the runtime's worker would wait for its files for ever.
export async function serviceWorkerReady(onProgress) {
  const state = await installed(onProgress);
  if (!state.offline) await reachable();
  return state;
}

async function reachable() {
  try {
    await fetch(new URL("../pyscript.toml", import.meta.url), { method: "HEAD", cache: "no-store" });
  } catch {
    throw Object.assign(new Error("no connection, and this browser holds no offline copy of the app yet "
                                  + "(it keeps one once the app has been opened online)"),
                        { name: "LoadError", detail: "load.offline", params: {} });
  }
}

async function installed(onProgress) {
  const container = navigator.serviceWorker;
  if (!container) return { offline: false, reason: "this browser offers no service worker here" };
  let firstInstall = false;
  const failed = new Promise((resolve) => container.addEventListener("message", ({ data }) => {
    if (data?.type === "precache" && firstInstall) onProgress(data.done, data.total);
    if (data?.type === "precache-failed") resolve({ offline: false, reason: data.error });
  }));
  container.startMessages();
  let registration;
  try {
    const script = new URL("../service-worker.js", import.meta.url);
    script.searchParams.set("backend", await detectorBackend());     // what it keeps for offline use
    registration = await container.register(script, { updateViaCache: "none" });
  } catch (error) {
    return { offline: false, reason: error?.message || String(error) };
  }
  if (!registration) return { offline: false, reason: "service workers are blocked" };   // (Playwright's "block")
  firstInstall = !container.controller;     // otherwise an update, if any, installs in the background
  const state = firstInstall ? await Promise.race([failed, controlled(registration)]) : { offline: true };
  if (registration.active && !crossOriginIsolated && !sessionStorage.getItem(RELOADED)) {
    sessionStorage.setItem(RELOADED, "1");      // once: a browser that still does not isolate runs as it is
    location.reload();
    return new Promise(() => {});
  }
  if (crossOriginIsolated) sessionStorage.removeItem(RELOADED);
  return state;
}

// The first visit: resolves once the installed worker controls this page, or it failed to install.
function controlled(registration) {
  const container = navigator.serviceWorker;
  return new Promise((resolve) => {
    container.addEventListener("controllerchange", () => resolve({ offline: true }), { once: true });
    const worker = registration.installing || registration.waiting;
    worker?.addEventListener("statechange", () => {
      if (worker.state === "redundant" && !container.controller) {
        resolve({ offline: false, reason: "the service worker could not be installed" });
      }
    });
    if (!worker && registration.active) {     // a hard reload bypassed it; the next load is served by it
      resolve({ offline: false, reason: "this load bypassed the service worker" });
    }
  });
}
