import { createEffect, createMemo, createSignal, lazy, Match, onCleanup, onMount, Switch } from "solid-js";
import { Dynamic } from "solid-js/web";
import { api, describeError, HttpError } from "./api/http.ts";
import type { User } from "./api/types.ts";
import { ConnectionIndicator } from "./components/ConnectionIndicator.tsx";
import { BottomNav, TopNav } from "./components/Nav.tsx";
import { Omnibar } from "./components/Omnibar.tsx";
import { browserDeps } from "./sync/deps.ts";
import { cachedUser, createSyncStore, latestSettings, type SyncStore } from "./sync/store.ts";
import { updateSettings, withDefaults } from "./mutations/settings.ts";
import { applyAppearance, onSystemThemeChange } from "./ui/appearance.ts";
import { SyncContext, useRecords, useSync } from "./ui/sync-context.ts";
import { screenFromHash } from "./screens.ts";
import type { ScreenProps } from "./ui/screen-props.ts";
import { WalletBadge } from "./views/market/WalletBadge.tsx";

// The running session's watcher (tab-title countdown, completion, announcement) is a chunk of
// its own: loaded right after the first paint, it keeps the initial bundle in budget.
const FocusWatch = lazy(() => import("./components/FocusWatch.tsx").then((m) => ({ default: m.FocusWatch })));

// Sync notices and the undo notice: nothing to say before the first sync or edit, so they are
// a chunk of their own too (the store keeps every notice; they show once it has loaded).
const Notices = lazy(() => import("./components/Notices.tsx").then((m) => ({ default: m.Notices })));

// Signed-in visits (the usual case) never need the sign-in form.
const Auth = lazy(() => import("./views/Auth.tsx").then((m) => ({ default: m.Auth })));

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
    // 200 with `null` when signed out (not /me's 401): a signed-out visit logs no console error.
    const session = api<{ user: User | null }>("/api/auth/session");
    session.catch(() => undefined);
    // A new device's first page of records needs only the cookie: asked for beside the session check, not after it.
    // A device with a cache opens on it at once (warm start); the session check's answer follows.
    const cached = (await deps.prefetchFeedStart?.()) !== false ? await cachedUser(deps).catch(() => null) : null;
    if (cached) await enter(cached);
    const leave = (message?: string) => {
      const p = phase();
      if (p.kind === "signed-in") p.store.stop();
      setPhase({ kind: "signed-out", message });
    };
    try {
      const { user } = await session;
      if (!user) leave();
      else if (user.id !== cached?.id) {
        if (cached) leave();
        await enter(user);
      }
    } catch (err) {
      // 401, or unreachable with nothing cached; unreachable with a cache: keep working offline.
      if ((err instanceof HttpError && err.status === 401) || !cached)
        leave(err instanceof HttpError && err.status === 401 ? undefined : describeError(err));
    }
  });

  const signOut = async (store: SyncStore, gone?: { message: string }) => {
    // Online, a change on its way lands within moments: give it up to 3 s before asking to drop it.
    const onItsWay = () => store.status().pending > 0 && store.status().mode !== "offline";
    if (!gone) for (let t = 0; t < 30 && onItsWay(); t++) await new Promise((r) => setTimeout(r, 100));
    const n = store.status().pending;
    if (
      n &&
      !gone &&
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
    // Loaded on demand: the market's read cache is nothing the first paint needs.
    await import("./api/cached-read.ts").then((m) => m.clearCachedReads()).catch(() => undefined);
    setPhase(gone ? { kind: "signed-out", message: gone.message } : { kind: "signed-out" });
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
            <Shell user={p.user} onSignOut={(gone) => void signOut(p.store, gone)} />
          </SyncContext.Provider>
        )}
      </Match>
    </Switch>
  );
}

function Shell(props: { user: User; onSignOut: ScreenProps["onSignOut"] }) {
  const settingsRecords = useRecords("settings");
  const settings = createMemo(() => withDefaults(latestSettings(settingsRecords())));
  const apply = () => applyAppearance(settings().theme, settings().accessibility, settings().accent);
  createEffect(apply);
  // SPEC: the time zone is set from the browser on first use ("days" such as streaks are local days).
  const store = useSync();
  let zoneSent = false; // once per page load, even if the server refused it
  createEffect(() => {
    const s = settings();
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zoneSent || s.version === 0 || s.time_zone || !zone) return;
    zoneSent = true;
    void updateSettings(store, s, { time_zone: zone }, "Time zone");
  });
  onCleanup(onSystemThemeChange(apply));

  const [screen, setScreen] = createSignal(screenFromHash(location.hash));
  let main: HTMLElement | undefined;
  const onHash = () => {
    setScreen(screenFromHash(location.hash));
    // Move focus to the new view's heading so screen readers announce it — a
    // lazy screen renders its heading a few frames later, once its chunk loads.
    const focusHeading = (frames: number) => {
      const h1 = main?.querySelector<HTMLElement>("h1");
      if (h1) h1.focus();
      else if (frames > 0) requestAnimationFrame(() => focusHeading(frames - 1));
    };
    queueMicrotask(() => focusHeading(120));
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
          <WalletBadge />
          <ConnectionIndicator />
        </div>
      </header>
      {/* Tabs under the header on tablets; a side rail from 1024 px (styles.css), so the header stays one row. */}
      <TopNav current={screen().id} user={props.user} onSignOut={props.onSignOut} />
      <main id="main" ref={(el) => (main = el)} tabindex="-1">
        <Dynamic component={screen().component} settings={settings()} user={props.user} onSignOut={props.onSignOut} />
      </main>
      <FocusWatch screen={screen().label} settings={settings()} />
      <BottomNav current={screen().id} user={props.user} onSignOut={props.onSignOut} />
      <Notices />
    </div>
  );
}
