// Video exports in the Origin Private File System: written there by the worker (web/worker/video-file.js)
// as they are encoded, then offered by the page. Each file is held under a shared Web Lock, by the worker
// while it writes and by the page while it offers the file; locks die with the tab or worker that holds
// them. clearExports() deletes every file no one holds: what a reload, a closed tab or a lost worker
// left behind, never what another open tab is writing or offering.
const EXPORT_DIR = "plateblur-exports";
const KEEP_HOURS = 6;             // without Web Locks: files younger than this may still be in use

async function exportFolder(create = false) {
  return (await navigator.storage.getDirectory()).getDirectoryHandle(EXPORT_DIR, { create });
}

// A file's lock: its name up to the first dot, so a browser's own side files ("….crswap") share it.
const lockName = (name) => `${EXPORT_DIR}/${name.split(".")[0]}`;

// Takes a shared lock on `name`; resolves, once granted, to the function that releases it.
function hold(name) {
  if (!navigator.locks) return Promise.resolve(() => {});
  return new Promise((granted) => {
    navigator.locks.request(lockName(name), { mode: "shared" }, () => new Promise((release) => granted(release)));
  });
}

// A new, empty export file, held: {handle, name, release}. `release({remove})` also deletes it.
export async function createExport(extension) {
  const name = `${Date.now()}-${Math.random().toString(36).slice(2)}${extension}`;
  const release = await hold(name);              // before the file exists: never unheld
  try {
    const handle = await (await exportFolder(true)).getFileHandle(name, { create: true });
    return { handle, name, release: (options) => releaseExport(name, release, options) };
  } catch (error) {
    release();
    throw error;
  }
}

// Holds the export `name` for as long as the page offers it; returns the release function.
export async function keepExport(name) {
  const release = await hold(name);
  return (options) => releaseExport(name, release, options);
}

async function releaseExport(name, release, { remove = false } = {}) {
  if (remove) await removeExport(name);
  release();
}

async function removeExport(name) {
  try { await (await exportFolder()).removeEntry(name); } catch { /* gone already */ }
}

// Deletes the export files no tab or worker holds (without Web Locks: those older than KEEP_HOURS).
export async function clearExports() {
  try {
    const folder = await exportFolder();
    const files = [];
    for await (const [name, handle] of folder.entries()) files.push([name, handle]);
    for (const [name, handle] of files) {
      if (navigator.locks) {
        await navigator.locks.request(lockName(name), { ifAvailable: true }, (lock) => lock && removeExport(name));
      } else if (Date.now() - (await handle.getFile()).lastModified > KEEP_HOURS * 3600e3) {
        await removeExport(name);
      }
    }
  } catch { /* no folder yet, or no OPFS: nothing to clear */ }
}
