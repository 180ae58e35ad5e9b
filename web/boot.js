// Runs first, as a plain script: if a file of the page cannot be loaded (offline before the first
// complete visit, a broken connection), the page says so instead of waiting on "Starting…" forever.
addEventListener("error", ({ target }) => {
  if (!(target instanceof HTMLScriptElement || target instanceof HTMLLinkElement)) return;
  const status = document.getElementById("load-status");
  document.body.dataset.app = "error";
  if (status) {
    status.textContent = `Could not load ${target.src || target.href}: no connection? ` +
      "The app works offline once it has been opened online. Reload the page to try again.";
  }
}, true);
