// Settings → Your data: download everything (GET /api/export), restore an
// archive (POST /api/import), and delete the account (DELETE /api/auth/account,
// password entered again, behind an explicit second step). Loaded with the
// Settings screen, not the initial bundle.
import { createSignal, Show } from "solid-js";
import type { ImportReport } from "@protocol/your-data.ts";
import { Field } from "../components/fields.tsx";
import { api, describeError, httpError } from "../api/http.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { createDisclosure } from "../ui/a11y.ts";

export default function YourData(props: { onDeleted: () => void }) {
  const asking = createDisclosure();
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  let password: HTMLInputElement | undefined;

  const remove = async (e: SubmitEvent) => {
    e.preventDefault();
    if (!password?.value) {
      setError("Enter your password to confirm.");
      password?.focus();
      return;
    }
    setError("");
    setBusy(true);
    try {
      await api("/api/auth/account", { method: "DELETE", body: { password: password.value } });
      props.onDeleted();
    } catch (err) {
      setError(describeError(err));
      password.select();
    } finally {
      setBusy(false);
    }
  };
  const cancel = () => {
    setError("");
    asking.close();
  };

  return (
    <section class="card stack" aria-labelledby="your-data-title">
      <h2 id="your-data-title">Your data</h2>
      <p>
        Download every record you have in Continuum — inbox, focus, libraries, references, todos, conversations, market
        and studio — as JSON files, with your audio files, in one ZIP archive.
      </p>
      {/* A plain GET: the browser downloads the attachment with the session cookie and stays on this page. */}
      <form method="get" action="/api/export">
        <button type="submit">Download my data</button>
      </form>

      <ImportArchive />

      <h3>Delete my account</h3>
      <Show
        when={asking.isOpen()}
        fallback={
          <div>
            <button type="button" class="ghost danger" ref={asking.opener} onClick={asking.open}>
              Delete my account…
            </button>
          </div>
        }
      >
        <form
          class="stack"
          aria-labelledby="delete-account-title"
          onSubmit={(e) => void remove(e)}
          onKeyDown={(e) => e.key === "Escape" && cancel()}
        >
          <p id="delete-account-title">
            <strong>This deletes your account for good:</strong> every record, audio file, device and access token.
            Remixes others made of your public loops stay, credited to "a deleted user". Download your data first if you
            want to keep it.
          </p>
          <Field for="delete-account-password" label="Your password">
            <input
              id="delete-account-password"
              type="password"
              autocomplete="current-password"
              ref={(el) => {
                password = el;
                queueMicrotask(() => el.focus());
              }}
              aria-invalid={error() ? "true" : undefined}
              aria-describedby={error() ? "delete-account-error" : undefined}
            />
          </Field>
          <div id="delete-account-error">
            <ErrorAlert message={error()} />
          </div>
          <div class="row wrap">
            <button type="submit" class="danger" disabled={busy()}>
              {busy() ? "Deleting…" : "Delete my account permanently"}
            </button>
            <button type="button" class="ghost" onClick={cancel}>
              Cancel
            </button>
          </div>
        </form>
      </Show>
    </section>
  );
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((n, c) => n + c, 0);

/** What an import did, in one sentence. */
function summary(r: ImportReport): string {
  const files = r.audio.stored + r.audio.already_stored;
  const parts = [`${total(r.imported)} new records`, `${total(r.existing)} already here`];
  if (files) parts.push(`${files} audio ${files === 1 ? "file" : "files"}`);
  const skipped = total(Object.fromEntries(Object.entries(r.skipped).map(([k, v]) => [k, v.count])));
  if (skipped)
    parts.push(`${skipped} not imported (coins, purchases, achievements and other users' likes stay behind)`);
  return `Imported: ${parts.join(", ")}.`;
}

/** Restores an archive from "Download my data" into this account; safe to repeat (nothing is duplicated). */
function ImportArchive() {
  const [status, setStatus] = createSignal("");
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  let input: HTMLInputElement | undefined;

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const file = input?.files?.[0];
    if (!file) {
      setError("Choose an archive (.zip) first.");
      input?.focus();
      return;
    }
    setError("");
    setStatus("Importing…");
    setBusy(true);
    try {
      // The archive as the body, not JSON: the server reads it as it arrives.
      const res = await fetch("/api/import", {
        method: "POST",
        headers: { "content-type": "application/zip", "idempotency-key": crypto.randomUUID() },
        body: file,
      });
      const body = (await res.json().catch(() => null)) as unknown;
      if (!res.ok) throw httpError({ status: res.status, ok: false, headers: res.headers, body });
      setStatus(summary(body as ImportReport));
    } catch (err) {
      setStatus("");
      const details = (err as { details?: { file?: string; message?: string }[] }).details;
      const first = Array.isArray(details) ? details[0] : undefined;
      setError(`${describeError(err)}${first?.message ? ` (${first.file ?? ""}: ${first.message})` : ""}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="stack" aria-labelledby="import-title" onSubmit={(e) => void submit(e)}>
      <h3 id="import-title">Import an archive</h3>
      <p class="hint">
        Restores an archive from “Download my data” into this account — for example after moving to a new one. Importing
        the same archive again adds nothing twice.
      </p>
      <Field for="import-file" label="Archive (.zip)">
        <input id="import-file" type="file" accept=".zip,application/zip" ref={(el) => (input = el)} />
      </Field>
      <ErrorAlert message={error()} />
      <p role="status" class="small">
        {status()}
      </p>
      <div>
        <button type="submit" disabled={busy()}>
          {busy() ? "Importing…" : "Import"}
        </button>
      </div>
    </form>
  );
}
