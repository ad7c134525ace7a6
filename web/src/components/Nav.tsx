// The main navigation, built from SCREENS. Desktops: every screen in the top
// bar. Phones (CSS, ≤ 640 px): a bottom bar with the screens marked `bar` and a
// "More" button opening a sheet (a modal <dialog>: focus moves in, Esc or a tap
// outside closes it, focus returns to the button) with the rest and Sign out.
// Only one of the two navs is displayed at a time, so each is "Main".
import { createMemo, For, Show } from "solid-js";
import type { User } from "../api/types.ts";
import { SCREENS, type Screen } from "../screens.ts";

const BAR = SCREENS.filter((s) => s.bar);
const MORE = SCREENS.filter((s) => !s.bar);

function Icon(props: { d: string }) {
  return (
    <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" class="nav-icon">
      <path d={props.d} />
    </svg>
  );
}

const link = (s: Screen, current: () => string, onClick?: () => void) => (
  <a href={`#/${s.id}`} aria-current={current() === s.id ? "page" : undefined} onClick={onClick}>
    <Show when={s.icon}>{(d) => <Icon d={d()} />}</Show>
    <span class="nav-label">{s.label}</span>
  </a>
);

export function TopNav(props: { current: string; user: User; onSignOut: () => void }) {
  return (
    <nav class="tabs" aria-label="Main">
      {/* The rail's own brand (wide screens, styles.css); the top bar's is hidden there. */}
      <span class="brand rail-brand" aria-hidden="true">
        Continuum
      </span>
      <ul role="list">
        <For each={SCREENS}>{(s) => <li>{link({ ...s, icon: undefined }, () => props.current)}</li>}</For>
      </ul>
      <button type="button" class="ghost" onClick={() => props.onSignOut()}>
        Sign out<span class="sr-only"> {props.user.username}</span>
      </button>
    </nav>
  );
}

export function BottomNav(props: { current: string; user: User; onSignOut: () => void }) {
  let sheet: HTMLDialogElement | undefined;
  const inMore = createMemo(() => MORE.find((s) => s.id === props.current));
  const close = () => sheet?.close();
  return (
    <>
      <nav class="bottombar" aria-label="Main">
        <ul role="list">
          <For each={BAR}>{(s) => <li>{link(s, () => props.current)}</li>}</For>
          <li>
            <button
              type="button"
              class="more-button"
              aria-haspopup="dialog"
              aria-controls="more-sheet"
              data-current={inMore() ? "true" : undefined}
              onClick={() => sheet?.showModal()}
            >
              <Icon d="M5 12h.01M12 12h.01M19 12h.01" />
              <span class="nav-label">More</span>
              <Show when={inMore()}>{(s) => <span class="sr-only">, current: {s().label}</span>}</Show>
            </button>
          </li>
        </ul>
      </nav>
      <dialog
        id="more-sheet"
        class="sheet"
        aria-labelledby="more-title"
        ref={(el) => (sheet = el)}
        // A tap on the backdrop lands on the <dialog> itself.
        onClick={(e) => e.target === e.currentTarget && close()}
      >
        <div class="sheet-body">
          <h2 id="more-title">More</h2>
          <nav aria-label="More screens">
            <ul role="list">
              <For each={MORE}>{(s) => <li>{link(s, () => props.current, close)}</li>}</For>
            </ul>
          </nav>
          <div class="row">
            <button type="button" class="ghost" onClick={() => (close(), props.onSignOut())}>
              Sign out<span class="sr-only"> {props.user.username}</span>
            </button>
            <button type="button" onClick={close}>
              Close
            </button>
          </div>
        </div>
      </dialog>
    </>
  );
}
