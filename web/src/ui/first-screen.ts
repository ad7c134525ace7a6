// The first screen of a warm start (issue #22): when the page goes hidden or
// away, a copy of what it showed (the top of the screen, as HTML) is kept in
// localStorage; on the next load, index.html's inline script puts it on screen
// — inert and hidden from assistive technology — before any module runs, and
// the first real Screen to mount removes it (dropFirstScreen). So a reload
// shows the user's newest records while the app still loads its code and opens
// IndexedDB, and the app itself never waits for it.
//
// What is kept: markup only. No ids, labels, test hooks, inline styles or
// handlers (the copy must not answer a query meant for the live screen, and the
// CSP allows no inline style); no live regions (a connection status or a toast
// would be stale); nothing when the screen is scrolled past its first rows (the
// copy would not be the top). Logging out, or any other way of leaving the
// signed-in app, forgets it (the sign-in screen, views/Auth.tsx, does on mounting), so it never
// outlives the account's session here.
// Its own module in the screens' lazy chunk: none of this is in the initial bundle.

/** Read by index.html's inline script (keep the name in step). */
export const FIRST_SCREEN_KEY = "continuum.first-screen";
/** Beyond this, a copy costs more to parse at startup than it saves. */
const MAX_CHARS = 200_000;

const KEEP = new Set([
  "class",
  "type",
  "datetime",
  "lang",
  "dir",
  "data-done",
  "data-mode",
  "checked",
  "selected",
  "viewBox",
  "d",
  "fill",
  "stroke",
  "stroke-width",
  "stroke-linecap",
  "stroke-linejoin",
  "width",
  "height",
  "xmlns",
]);
/** Stale or transient: a connection status, notices, toasts, errors, an open dialog. */
const DROP = "[role=status], [role=alert], [aria-live=assertive], .notices, dialog, script";

/** A copy of the signed-in app as it is now, or null when it isn't the top of a screen. */
export function snapshotFirstScreen(): string | null {
  const app = document.querySelector("#root > .app");
  const main = app?.querySelector("main section h1");
  if (!app || !main) return null;
  // A windowed list scrolled away from its start shows middle rows: not a first screen.
  for (const list of app.querySelectorAll("[data-virtual]")) {
    const first = list.querySelector(":scope > [data-index]");
    if (first && first.getAttribute("data-index") !== "0") return null;
  }
  const copy = app.cloneNode(true) as Element;
  // A ticked box or a chosen option is a property, not an attribute: carry it over (same tree, same order).
  const live = app.querySelectorAll("input, option");
  copy.querySelectorAll("input, option").forEach((el, i) => {
    const from = live[i] as HTMLInputElement & HTMLOptionElement;
    if (from.checked) el.setAttribute("checked", "");
    if (from.selected) el.setAttribute("selected", "");
  });
  for (const el of copy.querySelectorAll(DROP)) el.remove();
  // A closed select shows its chosen option only (the inbox's tag filter lists every tag).
  for (const option of copy.querySelectorAll("option:not([selected])")) option.remove();
  for (const el of [copy, ...copy.querySelectorAll("*")])
    // A copy of the list: removing an attribute changes the live one.
    for (const { name, value } of Array.from(el.attributes))
      if (!KEEP.has(name) && !(name === "href" && value.startsWith("#"))) el.removeAttribute(name);
  const html = copy.outerHTML;
  return html.length <= MAX_CHARS ? html : null;
}

function save(): void {
  try {
    const html = snapshotFirstScreen();
    if (html) localStorage.setItem(FIRST_SCREEN_KEY, JSON.stringify({ hash: location.hash, html }));
    // Not the top of a screen: an older copy would show records that may have changed since.
    else localStorage.removeItem(FIRST_SCREEN_KEY);
  } catch {
    /* storage full or refused: the next start reads IndexedDB as before */
  }
}

let watching = false;
/** Keeps the copy from now on: written whenever the page goes hidden or away. */
export function keepFirstScreen(): void {
  if (watching) return;
  watching = true;
  addEventListener("pagehide", save);
  document.addEventListener("visibilitychange", () => document.visibilityState === "hidden" && save());
}

/** The live screen is up: the copy index.html showed goes. */
export function dropFirstScreen(): void {
  document.querySelector("#root > .first-screen")?.remove();
  keepFirstScreen();
}

/** Signed out: the copy goes, on screen and in storage (it shows this account's records). */
export function forgetFirstScreen(): void {
  document.querySelector("#root > .first-screen")?.remove();
  try {
    localStorage.removeItem(FIRST_SCREEN_KEY);
  } catch {
    /* storage refused: nothing was kept */
  }
}
