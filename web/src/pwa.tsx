// The service worker (built by vite-plugin-pwa, see vite.config.ts). Loaded
// with a dynamic import after the app has rendered, so neither this module nor
// workbox-window weighs on the initial bundle.
import { createSignal, Show } from "solid-js";
import { render } from "solid-js/web";
import { registerSW } from "virtual:pwa-register";

export function startServiceWorker(): void {
  const [update, setUpdate] = createSignal<(() => Promise<void>) | null>(null);
  const updateSW = registerSW({
    // A new version is installed and waiting: ask, never reload under the user's feet.
    onNeedRefresh: () => setUpdate(() => () => updateSW(true)),
  });
  const host = document.createElement("div");
  document.body.append(host);
  render(
    () => (
      <Show when={update()}>
        {(apply) => (
          <aside class="update-prompt notice" role="status" aria-label="Update">
            <p>A new version of Continuum is ready.</p>
            <button type="button" class="primary" onClick={() => void apply()()}>
              Reload
            </button>
            <button type="button" class="ghost" onClick={() => setUpdate(null)}>
              Later
            </button>
          </aside>
        )}
      </Show>
    ),
    host,
  );
}
