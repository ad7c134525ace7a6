// A list that renders only the rows near the viewport (windowing), so a list
// of 50 000 records keeps a few dozen rows in the DOM. The page itself
// scrolls (no inner scroll box): the rows before and after the window are
// padding on the <ul>, sized from measured heights (ResizeObserver) or an
// estimate. Rows render `live(item)` (useRecordsRaw's reactive record, which
// keeps its object while the record changes), so scrolling and edits never
// remount a visible row; heights are kept by `key(item)` (the record's id),
// so an edited record keeps its measured height. Per change of the list one pass
// over its items builds the offsets (./row-offsets.ts); while scrolling, a
// measured row and a lookup cost O(log n): a frame's work follows the rows it
// renders, not the length of the list.
//
// Own code rather than a virtualizer library: ~2 KB in the screens' lazy
// chunks, and it keeps the list in the page's flow (the browser's scroll
// anchoring absorbs height corrections above the viewport).
//
// Keyboard: Tab walks the rendered rows (a focused row scrolls into view and
// the window follows it); ArrowUp/ArrowDown move between rows, Home/End jump
// to the first/last record, rendering it first. Screen readers hear each
// row's place in the whole list (aria-posinset / aria-setsize).
import { createEffect, createMemo, createSignal, For, onCleanup, onMount, type JSX } from "solid-js";
import { RowOffsets } from "./row-offsets.ts";

/**
 * Rows rendered beyond each edge of the viewport. The window follows the scroll in the same
 * frame (readView runs in the frame's animation callbacks), so this only has to cover what a
 * frame scrolls; every row beyond it costs layout, paint and commit on every frame (300 rather
 * than 800 px: ~15 rows instead of ~25, 15–20 % less main-thread work per frame while scrolling).
 */
const OVERSCAN_PX = 300;
/** A hard cap, whatever the estimates say. */
export const MAX_ROWS = 60;

export function VirtualList<T extends object>(props: {
  items: readonly T[];
  /** What a row renders for an item (default: the item). */
  live?: (item: T) => T;
  /** What identifies an item across changes (default: the item). */
  key?: (item: T) => unknown;
  /** A typical row's height in px (before it is measured). */
  estimate: number;
  children: (item: T, index: () => number) => JSX.Element;
  class?: string;
  "aria-label"?: string;
  "data-testid"?: string;
}) {
  let ul: HTMLUListElement | undefined;
  const heights = new Map<unknown, number>();
  const keyOf = (item: T): unknown => (props.key ? props.key(item) : item);
  const itemOf = new WeakMap<Element, unknown>();
  /** Moves when a measurement shifted the offsets in place. */
  const [layout, setLayout] = createSignal(0);
  const [view, setView] = createSignal({ top: 0, bottom: 1200 });
  const [gap, setGap] = createSignal(0);

  // start(i) = where row i starts, in px from the list's top; start(n) = the whole height.
  // Built once per list (an edit, a load); a row measured while scrolling changes its size in place.
  const built = createMemo(() => {
    const items = props.items;
    const g = gap();
    const step = props.estimate + g;
    // Most rows were never measured: skip the lookup while nothing is (a new list's first pass).
    if (!heights.size) return new RowOffsets(items.length, () => step);
    return new RowOffsets(items.length, (i) => {
      const h = heights.get(keyOf(items[i]!));
      return h === undefined ? step : h + g;
    });
  });
  const offsets = () => {
    layout();
    return built();
  };

  const range = createMemo(() => {
    const o = offsets();
    const n = props.items.length;
    // A list within the cap renders whole: nothing to save, and find-in-page and a
    // screen reader's browse mode then reach every row.
    if (n <= MAX_ROWS) return { start: 0, end: n };
    const { top, bottom } = view();
    const start = Math.max(0, Math.min(n, o.firstAfter(top - OVERSCAN_PX) - 1));
    const end = Math.min(n, Math.max(start + 1, o.firstAfter(bottom + OVERSCAN_PX)), start + MAX_ROWS);
    return { start, end };
  });
  const shown = createMemo(() => {
    const rows = props.items.slice(range().start, range().end);
    return props.live ? rows.map(props.live) : rows;
  });

  const observer = new ResizeObserver((entries) => {
    let changed = false;
    const o = built();
    const g = gap();
    for (const e of entries) {
      const key = itemOf.get(e.target);
      const h = e.borderBoxSize?.[0]?.blockSize ?? (e.target as HTMLElement).offsetHeight;
      if (key === undefined || h <= 0 || heights.get(key) === h) continue;
      heights.set(key, h);
      // The row's place in the current list: its size there.
      const at = Number((e.target as HTMLElement).dataset.index);
      const item = props.items[at];
      if (item === undefined || keyOf(item) !== key || o.size(at) === h + g) continue;
      o.set(at, h + g);
      changed = true;
    }
    if (changed) setLayout((v) => v + 1);
  });

  let frame = 0;
  const readView = () => {
    frame = 0;
    if (!ul) return;
    const top = -ul.getBoundingClientRect().top;
    setView({ top, bottom: top + window.innerHeight });
  };
  const onScroll = () => {
    if (!frame) frame = requestAnimationFrame(readView);
  };

  onMount(() => {
    setGap(parseFloat(getComputedStyle(ul!).rowGap) || 0);
    readView();
    window.addEventListener("scroll", onScroll, { passive: true });
    window.addEventListener("resize", onScroll);
  });
  onCleanup(() => {
    window.removeEventListener("scroll", onScroll);
    window.removeEventListener("resize", onScroll);
    if (frame) cancelAnimationFrame(frame);
    observer.disconnect();
  });

  // Rows come and go as the window moves: watch the ones in the DOM.
  createEffect(() => {
    shown();
    if (!ul) return;
    for (const li of ul.children) {
      if (itemOf.has(li)) continue;
      const item = props.items[Number((li as HTMLElement).dataset.index)];
      if (!item) continue;
      itemOf.set(li, keyOf(item));
      observer.observe(li);
    }
  });

  // ---- keyboard ------------------------------------------------------------
  let wanted: number | null = null;
  const focusRow = (index: number) => {
    const li = ul?.querySelector<HTMLElement>(`:scope > [data-index="${index}"]`);
    const target = li?.querySelector<HTMLElement>("input, button, a[href], select, textarea, [tabindex]");
    if (!target) return false;
    target.focus();
    return true;
  };
  // A row asked for before it was rendered: focus it once it is.
  createEffect(() => {
    shown();
    if (wanted !== null && focusRow(wanted)) wanted = null;
  });
  const goTo = (index: number) => {
    if (focusRow(index)) return;
    wanted = index;
    // Scroll there: the window follows, renders the row, and the effect above focuses it.
    const listTop = ul!.getBoundingClientRect().top + window.scrollY;
    window.scrollTo({ top: listTop + offsets().start(index) - 80 });
    readView();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    // Text entry (an open editor) keeps its keys.
    if (t.matches("textarea, select, input:not([type=checkbox]):not([type=radio])")) return;
    const li = t.closest<HTMLElement>("[data-index]");
    if (!li || li.parentElement !== ul) return;
    const at = Number(li.dataset.index);
    const n = props.items.length;
    const to =
      e.key === "ArrowDown"
        ? at + 1
        : e.key === "ArrowUp"
          ? at - 1
          : e.key === "Home"
            ? 0
            : e.key === "End"
              ? n - 1
              : -1;
    if (to < 0 || to >= n || to === at) return;
    e.preventDefault();
    goTo(to);
  };

  return (
    <ul
      ref={(el) => (ul = el)}
      class={props.class ?? "list"}
      role="list"
      aria-label={props["aria-label"]}
      data-testid={props["data-testid"]}
      data-virtual=""
      style={{
        "padding-top": `${offsets().start(range().start)}px`,
        "padding-bottom": `${Math.max(0, offsets().start(props.items.length) - offsets().start(range().end) - gap())}px`,
      }}
      onKeyDown={onKeyDown}
    >
      <For each={shown()}>{(item, i) => props.children(item, () => range().start + i())}</For>
    </ul>
  );
}
