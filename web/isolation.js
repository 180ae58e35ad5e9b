// GitHub Pages cannot send the isolation headers the worker needs: mini-coi's service worker adds them.
// A file, not an inline script: the Content-Security-Policy allows scripts from this site only.
if (!window.crossOriginIsolated && "serviceWorker" in navigator) {
  const s = document.createElement("script");
  s.src = "./mini-coi.js";
  document.head.append(s);
}
