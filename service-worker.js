// The site's service worker: keeps every file of one release in a cache of its own, so the page works
// offline after the first visit, and adds the headers the page needs to every response it serves:
// COOP/COEP (cross-origin isolation: the threads' SharedArrayBuffer) and the Content-Security-Policy
// (GitHub Pages can send neither). site-manifest.js is generated from the site's files
// (tools/site_files.py): its version changes with any file, and the browser then installs this worker
// again (it compares imported scripts too), which fills a new cache and deletes the old one.
// The page registers it as service-worker.js?backend=wasm|webgpu (web/offline.js): it precaches what a
// visit on that detector backend uses (SITE.precache, tools/site_files.py); any other file of the release
// is cached when the page first fetches it.
importScripts("./site-manifest.js");   // self.SITE = {version, headers, types, files: {path: [size, sha256]}, precache}

const PREFIX = "plateblur-";
const CACHE = PREFIX + SITE.version;
const BASE = new URL("./", location.href).href;     // the folder the site is served from
const PROGRESS_MS = 100;
const BACKEND = new URL(location.href).searchParams.get("backend");
// An unknown backend (the page could not tell): what either backend uses.
const PRECACHED = SITE.precache[BACKEND] ?? [...new Set(Object.values(SITE.precache).flat())];

addEventListener("install", (event) => event.waitUntil(precache().then(() => skipWaiting())));

addEventListener("activate", (event) => event.waitUntil((async () => {
  for (const name of await caches.keys()) {
    if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
  }
  await clients.claim();
})()));

addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET" || !request.url.startsWith(BASE)) return;
  if (request.cache === "only-if-cached" && request.mode !== "same-origin") return;
  event.respondWith(respond(event));
});

// A site file from this release's cache (the query is ignored: "?model=…" is the page's), anything
// else from the network; both with the site's headers. A site file that was not precached is cached as
// it is fetched (once checked against its hash). Offline, a file outside the cache fails.
async function respond(event) {
  const { request } = event;
  const path = sitePath(request.url);
  if (path in SITE.files) {
    const cached = await caches.match(BASE + path, { cacheName: CACHE });
    if (cached) return withHeaders(cached.body, 200, "OK", { "Content-Type": typeOf(path),
                                                            "Content-Length": cached.headers.get("Content-Length") });
  }
  const response = await fetch(request);
  if (!response.status || response.status >= 400 || response.type !== "basic") return response;
  if (path in SITE.files && response.status === 200) event.waitUntil(keep(path, response.clone()));
  return withHeaders(response.body, response.status, response.statusText, response.headers);
}

// A release file fetched on demand, into the cache if it is the release's (else it is not kept).
async function keep(path, response) {
  try {
    const stored = await verified(await response.blob(), path, SITE.files[path][1]);
    await (await caches.open(CACHE)).put(BASE + path, stored);
  } catch { /* not this release's file, or no room: fetched again next time */ }
}

function sitePath(url) {
  const path = url.slice(BASE.length).split(/[?#]/)[0];
  return path === "" ? "index.html" : decodeURIComponent(path);
}

const typeOf = (path) => SITE.types[path.match(/\.[^./]+$/)?.[0] ?? ""] ?? "application/octet-stream";

function withHeaders(body, status, statusText, original) {
  const headers = new Headers(original);
  for (const [name, value] of Object.entries(SITE.headers)) headers.set(name, value);
  return new Response(status === 204 || status === 304 ? null : body, { status, statusText, headers });
}

// What this backend's visits use into the release's cache: unchanged files (same hash) come from an
// older cache, the others from the network, each checked against its hash. Progress goes to every open page.
async function precache() {
  const cache = await caches.open(CACHE);
  const files = PRECACHED.map((path) => [path, SITE.files[path]]);
  const total = files.reduce((sum, [, [size]]) => sum + size, 0);
  const progress = reporter(total);
  try {
    for (const [path, [size, hash]] of files) {
      const url = BASE + path;
      if (!(await cache.match(url))) await cache.put(url, (await reused(path, hash)) || (await download(path, hash, progress)));
      progress.add(size, path);
    }
    progress.send(true);
  } catch (error) {
    await caches.delete(CACHE);
    await post({ type: "precache-failed", error: String(error?.message || error) });
    throw error;
  }
}

async function reused(path, hash) {
  for (const name of await caches.keys()) {
    if (!name.startsWith(PREFIX) || name === CACHE) continue;
    const old = await (await caches.open(name)).match(BASE + path);
    if (old?.headers.get("X-Content-SHA256") === hash) return old;
  }
  return null;
}

async function download(path, hash, progress) {
  const response = await fetch(BASE + path, { cache: "no-cache" });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  const chunks = [];
  const reader = response.body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    chunks.push(read.value);
    progress.partial(read.value.byteLength, path);
  }
  return verified(new Blob(chunks), path, hash);
}

// The file as the cache keeps it, once its SHA-256 is the release's. Stored bare: the headers of the
// release that serves it are added in respond().
async function verified(body, path, hash) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await body.arrayBuffer()));
  const actual = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  if (actual !== hash) throw new Error(`${path} is not the file of this release (a newer one is being published?)`);
  return new Response(body, { headers: { "Content-Length": String(body.size), "X-Content-SHA256": hash } });
}

// Bytes done of the total, posted to the pages at most every PROGRESS_MS (and once at the end).
function reporter(total) {
  let done = 0, partial = 0, sent = 0, file = "";
  const report = {
    add(size, path) { done += size; partial = 0; file = path; report.send(false); },
    partial(bytes, path) { partial += bytes; file = path; report.send(false); },
    send(finished) {
      if (!finished && Date.now() - sent < PROGRESS_MS) return;
      sent = Date.now();
      post({ type: "precache", version: SITE.version, done: Math.min(done + partial, total), total, file, finished });
    },
  };
  return report;
}

async function post(message) {
  for (const client of await clients.matchAll({ includeUncontrolled: true, type: "window" })) client.postMessage(message);
}
