// Runs first, as a plain script: if a file of the page cannot be loaded (offline before the first
// complete visit, a broken connection), the page says so instead of waiting on "Starting…" forever,
// in the language web/i18n/index.js would choose. Its texts are load.missing of web/i18n/<language>.json,
// here as well because those files may be what failed (tests/unit/test_i18n_texts.py keeps them equal).
{
  const MISSING = {
    en: "Could not load {url}: no connection? The app works offline once it has been opened online. Reload the page to try again.",
    de: "{url} konnte nicht geladen werden: keine Verbindung? Die App funktioniert offline, sobald sie einmal online geöffnet wurde. Laden Sie die Seite neu, um es noch einmal zu versuchen.",
  };

  const language = () => {
    let stored = null;
    try { stored = localStorage.getItem("plateblur-language"); } catch { /* storage blocked: follow the browser */ }
    if (Object.hasOwn(MISSING, stored)) return stored;
    for (const tag of navigator.languages?.length ? navigator.languages : [navigator.language || "en"]) {
      const primary = tag.toLowerCase().split("-")[0];
      if (Object.hasOwn(MISSING, primary)) return primary;
    }
    return "en";
  };

  addEventListener("error", ({ target }) => {
    if (!(target instanceof HTMLScriptElement || target instanceof HTMLLinkElement)) return;
    const status = document.getElementById("load-status");
    document.body.dataset.app = "error";
    if (status) status.textContent = MISSING[language()].replace("{url}", target.src || target.href);
  }, true);
}
