// Settings → Your data: download everything (GET /api/export) and delete the
// account (DELETE /api/auth/account, password entered again, behind an
// explicit second step). Loaded with the Settings screen, not the initial bundle.
import { createSignal, Show } from "solid-js";
import { api, describeError } from "../api/http.ts";
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
          <div class="field">
            <label for="delete-account-password">Your password</label>
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
          </div>
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
