// "Versions" of a reference or an inbox item (issue 24): a modal dialog (a
// lazy chunk, loaded on the click) over `GET /api/history?entity=&id=` — each
// earlier version with what the next one changed — and Restore, which writes
// that version back as a new one on the server (every device gets it through
// the change log). Restore names the version shown here in If-Match; if the
// record changed since (another device), the 409 carries both versions and the
// user chooses: keep what is there now, or restore anyway over it.
import { createResource, createSignal, For, onMount, Show, untrack } from "solid-js";
import { api, describeError, HttpError } from "../api/http.ts";
import type { EntityMap, HistoryEntry, Page } from "../api/types.ts";
import type { RestorableEntity } from "@protocol/history.ts";
import { path } from "../mutations/record.ts";
import { dateTime, relative } from "../ui/format.ts";
import { useRecords, useSync } from "../ui/sync-context.ts";
import "./modal.css";
import "./versions.css";

type Fields = Record<string, unknown>;
/** Fields every record has, or the server keeps for itself: not "what changed". */
const META = new Set(["id", "version", "created_at", "updated_at", "user_id", "search"]);

function shown(v: unknown): string {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "boolean") return v ? "yes" : "no";
  const text = Array.isArray(v) ? v.join(", ") || "—" : typeof v === "string" ? v : JSON.stringify(v);
  return `“${text.length > 80 ? `${text.slice(0, 79)}…` : text}”`;
}

/** The fields whose values differ between two versions of a record. */
function differing(a: Fields, b: Fields): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)].filter((k) => !META.has(k)));
  return [...keys].filter((k) => JSON.stringify(a[k] ?? null) !== JSON.stringify(b[k] ?? null));
}
const named = (k: string) => k.replaceAll("_", " ");

/** `field: “old” → “new”` for each field that differs between two versions of a record. */
const changes = (older: Fields, newer: Fields) =>
  differing(older, newer).map((k) => `${named(k)}: ${shown(older[k])} → ${shown(newer[k])}`);
/** `field: “value”` of `side` for each field where it differs from `other`. */
const values = (side: Fields, other: Fields) => differing(side, other).map((k) => `${named(k)}: ${shown(side[k])}`);

interface Conflict {
  entry: HistoryEntry;
  current: Fields;
  restoring: Fields;
}

export default function Versions(props: { entity: RestorableEntity; id: string; title: string; onClose: () => void }) {
  const store = useSync();
  // Named as it was when opened: a restore or an edit elsewhere doesn't rename the open dialog.
  const title = untrack(() => props.title);
  let dialog: HTMLDialogElement | undefined;
  const records = useRecords(props.entity);
  const current = () => (records() as readonly EntityMap[RestorableEntity][]).find((r) => r.id === props.id);
  // The version the user is looking at: a restore is written over it, and over nothing newer
  // (a change made elsewhere while this is open is a 409 to choose on, not silently replaced).
  let seen: number | undefined;
  const [entries, { refetch }] = createResource(async () => {
    const url = `/api/history?entity=${props.entity}&id=${encodeURIComponent(props.id)}&page_size=100`;
    const items = (await api<Page<HistoryEntry>>(url)).items;
    seen = current()?.version;
    return items;
  });
  const [status, setStatus] = createSignal("");
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [conflict, setConflict] = createSignal<Conflict | null>(null);

  onMount(() => dialog?.showModal());

  /** The version after the i-th entry (what replaced it): the next entry up, or the record as it is. */
  const newerThan = (i: number): Fields | undefined =>
    i > 0 ? entries()![i - 1]!.record : (current() as Fields | undefined);

  const restore = async (e: HistoryEntry, over: number | undefined) => {
    setBusy(true);
    setError("");
    setStatus("");
    try {
      const done = await api<{ record: Fields }>(path`/api/history/${e.id}/restore`, {
        method: "POST",
        headers: { "If-Match": over === undefined ? undefined : `"${over}"` },
      });
      seen = Number(done.record.version);
      setConflict(null);
      setStatus(`Restored version ${e.version}.`);
      // This device learns of it at once; the others through the change log.
      await store.pullNow();
      void refetch();
    } catch (err) {
      const d = err instanceof HttpError ? (err.details as { current?: Fields; restoring?: Fields } | null) : null;
      if (err instanceof HttpError && err.status === 409 && d?.current && d.restoring)
        setConflict({ entry: e, current: d.current, restoring: d.restoring });
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      class="modal versions"
      aria-labelledby="versions-title"
      ref={(el) => (dialog = el)}
      onClose={() => props.onClose()}
    >
      <div class="modal-body">
        <h2 id="versions-title">Versions of “{title}”</h2>
        <Show when={current()} fallback={<p class="muted">Deleted — it is in the Trash.</p>}>
          {(c) => (
            <p class="muted small">
              Now: version {c().version}, changed {relative(c().updated_at)}.
            </p>
          )}
        </Show>
        <p role="status" class="small">
          {status()}
        </p>
        <p role="alert" class="form-error">
          {error()}
        </p>
        <Show when={conflict()}>
          {(k) => (
            <section class="versions-conflict" aria-labelledby="versions-conflict-title">
              <h3 id="versions-conflict-title">It changed elsewhere meanwhile</h3>
              <p class="small">Now (version {String(k().current.version)}):</p>
              <ul class="small" role="list">
                <For each={values(k().current, k().restoring)}>{(line) => <li>{line}</li>}</For>
              </ul>
              <p class="small">Version {k().entry.version}, which you chose:</p>
              <ul class="small" role="list">
                <For each={values(k().restoring, k().current)}>{(line) => <li>{line}</li>}</For>
              </ul>
              <div class="row">
                <button
                  type="button"
                  disabled={busy()}
                  onClick={() => void restore(k().entry, Number(k().current.version))}
                >
                  Restore version {k().entry.version} anyway
                </button>
                <button type="button" class="ghost" onClick={() => setConflict(null)}>
                  Keep what is there now
                </button>
              </div>
            </section>
          )}
        </Show>
        <Show when={!entries.loading || entries()} fallback={<p class="muted">Loading…</p>}>
          <Show
            when={(entries() ?? []).length}
            fallback={<p class="muted">{entries.error ? describeError(entries.error) : "No earlier versions."}</p>}
          >
            <ol class="versions-list" role="list">
              <For each={entries()}>
                {(e, i) => (
                  <li class="card">
                    <h3 class="small">
                      Version {e.version} · {e.op === "delete" ? "deleted" : "replaced"}{" "}
                      <time datetime={e.at} title={dateTime(e.at)}>
                        {relative(e.at)}
                      </time>
                    </h3>
                    <Show when={newerThan(i())}>
                      {(n) => (
                        <ul class="small muted" role="list" aria-label={`What changed after version ${e.version}`}>
                          <For each={changes(e.record, n())}>{(line) => <li>{line}</li>}</For>
                        </ul>
                      )}
                    </Show>
                    <div>
                      <button type="button" class="ghost" disabled={busy()} onClick={() => void restore(e, seen)}>
                        Restore<span class="sr-only"> version {e.version}</span>
                      </button>
                    </div>
                  </li>
                )}
              </For>
            </ol>
          </Show>
        </Show>
        <div class="row">
          <button type="button" class="ghost" onClick={() => dialog?.close()}>
            Close
          </button>
        </div>
      </div>
    </dialog>
  );
}
