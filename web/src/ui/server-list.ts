// A list that lives on the server only (devices, access tokens, the trash:
// nothing of it is cached): its items once loaded, the error line, and the
// row an action is working on. Devices, Trash and AccessTokens share it.
import { createSignal } from "solid-js";
import { describeError } from "../api/http.ts";

export function createServerList<T extends { id: string }>(fetchItems: () => Promise<T[]>) {
  const [items, setItems] = createSignal<T[] | null>(null);
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal<string | null>(null);
  return {
    /** null until the first load answers. */
    items,
    setItems,
    error,
    setError,
    /** The id of the row an action is running on. */
    busy,
    async load() {
      setError("");
      try {
        setItems(await fetchItems());
      } catch (err) {
        setError(describeError(err));
      }
    },
    /** Runs `action` on row `id`; a failure becomes the error line. */
    async act(id: string, action: () => Promise<void>) {
      setBusy(id);
      setError("");
      try {
        await action();
      } catch (err) {
        setError(describeError(err));
      } finally {
        setBusy(null);
      }
    },
    /** The row is gone on the server (signed out, revoked, restored). */
    drop(id: string) {
      setItems((l) => l?.filter((x) => x.id !== id) ?? null);
    },
  };
}
