// Result names: "<name>_anonymised<ext>", as the command line writes them.
// The clash-naming rule, shared with the command line (py/plateblur/cpython/outputs.py): a result keeps
// its own extension, so names that differ only by it never clash; a real clash gets "_2", "_3"... after
// the mark, in order ("a_anonymised.jpg", "a_anonymised_2.jpg"); names compare case-insensitively.
export function anonymisedName(name, extension, number = 1) {
  const stem = (name || "file").replace(/\.[^.]*$/, "");
  return `${stem}_anonymised${number > 1 ? `_${number}` : ""}${extension}`;
}

// Distinct names for a zip, by the rule above.
export function uniqueNames(entries) {
  const seen = new Set();
  return entries.map(({ name, extension }) => {
    let result = anonymisedName(name, extension);
    for (let n = 2; seen.has(result.toLowerCase()); n++) result = anonymisedName(name, extension, n);
    seen.add(result.toLowerCase());
    return result;
  });
}
