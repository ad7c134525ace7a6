// Search that matches the way people type: case- and accent-insensitive
// ("cafe" finds "Café"), every word must appear somewhere in the fields.

/** Lower case without diacritics: "Café Ü" → "cafe u". */
export function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/** True when every word of `query` is in one of `fields` (folded). An empty query matches. */
export function matches(query: string, fields: readonly string[]): boolean {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const hay = fold(fields.join("\n"));
  return words.every((w) => hay.includes(w.replace(/^#/, "")));
}
