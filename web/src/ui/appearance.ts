// Applies appearance settings to <html> so every view (and every device, via
// sync) follows at once. The theme hint in localStorage is cosmetic: it only
// lets index.html paint the right colours before the app has loaded.
import type { Accessibility, Theme } from "../api/types.ts";

export const THEME_HINT_KEY = "continuum.theme-hint";

const darkQuery = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;

export function applyAppearance(theme: Theme, a: Accessibility, accent?: string | null): void {
  const root = document.documentElement;
  // An owned market accent theme; undefined = leave as is (e.g. a font-size preview).
  if (accent !== undefined) toggle(root, "accent", accent);
  const dark = theme === "dark" || (theme === "system" && darkQuery?.matches === true);
  root.dataset.theme = dark ? "dark" : "light";
  root.dataset.themePref = theme;
  toggle(root, "contrast", a.high_contrast ? "high" : null);
  toggle(root, "motion", a.reduced_motion ? "reduced" : null);
  root.style.setProperty("--font-scale", String(a.font_scale));
  try {
    localStorage.setItem(THEME_HINT_KEY, JSON.stringify({ theme, ...a }));
  } catch {
    /* storage may be unavailable; the hint is optional */
  }
}

/** Re-run `fn` when the OS theme flips (matters for theme "system"). */
export function onSystemThemeChange(fn: () => void): () => void {
  darkQuery?.addEventListener("change", fn);
  return () => darkQuery?.removeEventListener("change", fn);
}

function toggle(el: HTMLElement, key: string, value: string | null) {
  if (value === null) delete el.dataset[key];
  else el.dataset[key] = value;
}
