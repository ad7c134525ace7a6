// Focus helpers for the lazily loaded views.
import { createSignal } from "solid-js";

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

/**
 * Something a button opens in place (an inline editor, a confirmation).
 * Closing it puts focus back on the button that opened it, so a keyboard
 * user stays where they were.
 */
export function createDisclosure() {
  const [isOpen, setOpen] = createSignal(false);
  let opener: HTMLElement | undefined;
  const closeThen = (refocus: () => boolean) => {
    setOpen(false);
    queueMicrotask(() => refocus() && opener?.focus());
  };
  return {
    isOpen,
    open: () => setOpen(true),
    close: () => closeThen(() => true),
    /** Close after an action that may have moved focus on purpose: refocus only if focus was lost. */
    closeAfterAction: () => closeThen(() => document.activeElement === document.body && !!opener?.isConnected),
    /** `ref` for the opening button. */
    opener: (el: HTMLElement) => void (opener = el),
  };
}
