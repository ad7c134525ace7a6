// Focus helpers for the lazily loaded views.

/**
 * App.tsx moves focus to the new view's heading on navigation, but a lazy
 * view isn't there yet at that moment. Call on mount: if focus is still on
 * the nav link that brought us here, move it to this view's heading.
 */
export function focusHeadingAfterNav(headingId: string): void {
  queueMicrotask(() => {
    const active = document.activeElement;
    if (active && active !== document.body && !active.closest("nav")) return;
    document.getElementById(headingId)?.focus();
  });
}
