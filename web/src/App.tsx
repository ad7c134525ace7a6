import { createEffect, createMemo, createSignal, For, lazy, Match, onCleanup, onMount, Switch } from "solid-js";
import { api, describeError, HttpError } from "./api/http.ts";
import type { User } from "./api/types.ts";
import { ConnectionIndicator } from "./components/ConnectionIndicator.tsx";
import { Notices } from "./components/Notices.tsx";
import { Omnibar } from "./components/Omnibar.tsx";
import { browserDeps } from "./sync/deps.ts";
import { cachedUser, createSyncStore, latestSettings, type SyncStore } from "./sync/store.ts";
import { withDefaults } from "./mutations/settings.ts";
import { applyAppearance, onSystemThemeChange } from "./ui/appearance.ts";
import { SyncContext, useRecords } from "./ui/sync-context.ts";
import { Focus } from "./views/Focus.tsx";
import { Inbox } from "./views/Inbox.tsx";
import { Settings } from "./views/Settings.tsx";

// Loaded on first visit: keeps the initial bundle small.
const Libraries = lazy(() => import("./views/libraries/index.tsx"));
const References = lazy(() => import("./views/references/index.tsx"));
const AudioFiles = lazy(() => import("./views/AudioFiles.tsx"));
// Signed-in visits (the usual case) never need the sign-in form.
const Auth = lazy(() => import("./views/Auth.tsx").then((m) => ({ default: m.Auth })));
// Device sessions live on the server only (nothing to show offline anyway).
const Devices = lazy(() => import("./views/Devices.tsx"));
const Assistant = lazy(() => import("./views/assistant/Assistant.tsx"));
const Studio = lazy(() => import("./views/studio/Studio.tsx"));

type Phase =
  { kind: "loading" } | { kind: "signed-out"; message?: string } | { kind: "signed-in"; user: User; store: SyncStore };

export function App() {
  const deps = browserDeps();
  const [phase, setPhase] = createSignal<Phase>({ kind: "loading" });

  const enter = async (user: User) => {
    const store = createSyncStore(deps);
    await store.start(user);
    store.onUnauthorized(() => {
      store.stop();
      setPhase({ kind: "signed-out", message: "Your session ended. Sign in again — changes not yet synced are kept." });
    });
    setPhase({ kind: "signed-in", user, store });
  };

  onMount(async () => {
    try {
      const { user } = await api<{ user: User }>("/api/auth/me");
      await enter(user);
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) {
        setPhase({ kind: "signed-out" });
        return;
      }
      // Server unreachable: open with what this device cached last time.
      const user = await cachedUser(deps).catch(() => null);
      if (user) await enter(user);
      else setPhase({ kind: "signed-out", message: describeError(err) });
    }
  });

  const signOut = async (store: SyncStore) => {
    const n = store.status().pending;
    if (
      n &&
      !confirm(
        `${n} ${n === 1 ? "change hasn't" : "changes haven't"} reached the server yet and will be lost. Sign out anyway?`,
      )
    )
      return;
    try {
      await api("/api/auth/logout", { method: "POST" });
    } catch {
      /* already signed out or offline: still wipe this device */
    }
    await store.clear();
    setPhase({ kind: "signed-out" });
  };

  const signedIn = () => {
    const p = phase();
    return p.kind === "signed-in" ? p : false;
  };
  const signedOut = () => {
    const p = phase();
    return p.kind === "signed-out" ? p : false;
  };

  return (
    <Switch>
      <Match when={phase().kind === "loading"}>
        <p class="boot" role="status">
          Loading Continuum…
        </p>
      </Match>
      <Match when={signedOut()} keyed>
        {(p) => <Auth onAuthed={(u) => void enter(u)} message={p.message} />}
      </Match>
      <Match when={signedIn()} keyed>
        {(p) => (
          <SyncContext.Provider value={p.store}>
            <Shell user={p.user} onSignOut={() => void signOut(p.store)} />
          </SyncContext.Provider>
        )}
      </Match>
    </Switch>
  );
}

type View = "inbox" | "focus" | "libraries" | "references" | "audio" | "studio" | "assistant" | "settings" | "devices";
const VIEWS: Array<[View, string]> = [
  ["inbox", "Inbox"],
  ["focus", "Focus"],
  ["libraries", "Libraries"],
  ["references", "References"],
  ["audio", "Audio"],
  ["studio", "Studio"],
  ["assistant", "Assistant"],
  ["settings", "Settings"],
  ["devices", "Devices"],
];

function viewFromHash(): View {
  // "#/libraries/<id>": the view is the first segment; it reads the rest itself.
  const v = location.hash.replace(/^#\/?/, "").split("/")[0];
  return VIEWS.find(([k]) => k === v)?.[0] ?? "inbox";
}

function Shell(props: { user: User; onSignOut: () => void }) {
  const settingsRecords = useRecords("settings");
  const settings = createMemo(() => withDefaults(latestSettings(settingsRecords())));
  const apply = () => applyAppearance(settings().theme, settings().accessibility);
  createEffect(apply);
  onCleanup(onSystemThemeChange(apply));

  const [view, setView] = createSignal(viewFromHash());
  let main: HTMLElement | undefined;
  const onHash = () => {
    setView(viewFromHash());
    // Move focus to the new view's heading so screen readers announce it.
    queueMicrotask(() => main?.querySelector<HTMLElement>("h1")?.focus());
  };
  window.addEventListener("hashchange", onHash);
  onCleanup(() => window.removeEventListener("hashchange", onHash));

  return (
    <div class="app">
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault(); // the hash is our router
          main?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="topbar">
        <div class="topbar-inner">
          <a class="brand" href="#/inbox">
            Continuum
          </a>
          <Omnibar />
          <ConnectionIndicator />
        </div>
        <nav class="tabs" aria-label="Main">
          <ul role="list">
            <For each={VIEWS}>
              {([v, text]) => (
                <li>
                  <a href={`#/${v}`} aria-current={view() === v ? "page" : undefined}>
                    {text}
                  </a>
                </li>
              )}
            </For>
          </ul>
          <button type="button" class="ghost" onClick={() => props.onSignOut()}>
            Sign out<span class="sr-only"> {props.user.username}</span>
          </button>
        </nav>
      </header>
      <main id="main" ref={(el) => (main = el)} tabindex="-1">
        <Switch>
          <Match when={view() === "inbox"}>
            <Inbox />
          </Match>
          <Match when={view() === "focus"}>
            <Focus />
          </Match>
          <Match when={view() === "libraries"}>
            <Libraries />
          </Match>
          <Match when={view() === "references"}>
            <References />
          </Match>
          <Match when={view() === "audio"}>
            <AudioFiles />
          </Match>
          <Match when={view() === "studio"}>
            <Studio user={props.user} />
          </Match>
          <Match when={view() === "assistant"}>
            <Assistant />
          </Match>
          <Match when={view() === "settings"}>
            <Settings settings={settings()} user={props.user} onSignOut={props.onSignOut} />
          </Match>
          <Match when={view() === "devices"}>
            <Devices onSignOut={props.onSignOut} />
          </Match>
        </Switch>
      </main>
      <Notices />
    </div>
  );
}
