// The one naming rule of results: "<name>_anonymised<ext>", as the command line writes them.
export function anonymisedName(name, extension) {
  const stem = (name || "file").replace(/\.[^.]*$/, "");
  return `${stem}_anonymised${extension}`;
}

// Distinct names for a zip: "a_anonymised.jpg", "a (2)_anonymised.jpg", ...
export function uniqueNames(entries) {
  const seen = new Set();
  return entries.map(({ name, extension }) => {
    let result = anonymisedName(name, extension);
    for (let n = 2; seen.has(result); n++) result = anonymisedName(`${name.replace(/\.[^.]*$/, "")} (${n})`, extension);
    seen.add(result);
    return result;
  });
}
