// Settings → Password and sessions: change the password (the current one
// entered again) and sign out everywhere else. Both end every other session
// and access token at once, and their devices' live connections close.
import { createSignal, Show } from "solid-js";
import { Field } from "../components/fields.tsx";
import { describeError } from "../api/http.ts";
import { changePassword, signOutOthers } from "../mutations/sessions.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";

const MIN_PASSWORD = 10;

export default function AccountSecurity() {
  const [error, setError] = createSignal("");
  const [done, setDone] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  let current: HTMLInputElement | undefined;
  let next: HTMLInputElement | undefined;

  /** Both actions: the buttons wait, and the answer (what was signed out) or the error shows. */
  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    try {
      setDone(await action());
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  const ended = (n: number) =>
    n === 0 ? "No other device was signed in." : `${n} other ${n === 1 ? "session" : "sessions"} signed out.`;

  const submitPassword = async (e: SubmitEvent) => {
    e.preventDefault();
    setError("");
    setDone("");
    const body = { current_password: current?.value ?? "", new_password: next?.value ?? "" };
    if (!body.current_password) {
      setError("Enter your current password.");
      return;
    }
    if (body.new_password.length < MIN_PASSWORD) {
      setError(`The new password needs at least ${MIN_PASSWORD} characters.`);
      return;
    }
    await run(async () => {
      const r = await changePassword(body);
      if (current) current.value = "";
      if (next) next.value = "";
      return `Password changed. ${ended(r.revoked)}`;
    });
  };

  const signOutElsewhere = async () => {
    setError("");
    setDone("");
    if (!confirm("Sign out every other device and revoke every access token?")) return;
    await run(async () => ended((await signOutOthers()).revoked));
  };

  return (
    <section class="card stack" aria-labelledby="security-title">
      <h2 id="security-title">Password and sessions</h2>
      <form class="stack" onSubmit={(e) => void submitPassword(e)}>
        <Field for="current-password" label="Current password">
          <input id="current-password" type="password" autocomplete="current-password" ref={(el) => (current = el)} />
        </Field>
        <Field for="new-password" label="New password">
          <input
            id="new-password"
            type="password"
            autocomplete="new-password"
            minLength={MIN_PASSWORD}
            aria-describedby="new-password-hint"
            ref={(el) => (next = el)}
          />
          <p id="new-password-hint" class="muted small">
            At least {MIN_PASSWORD} characters. Every other device and access token is signed out.
          </p>
        </Field>
        <div class="row">
          <button type="submit" class="primary" disabled={busy()}>
            Change password
          </button>
        </div>
      </form>
      <div class="row">
        <button type="button" class="ghost danger" disabled={busy()} onClick={() => void signOutElsewhere()}>
          Sign out everywhere else
        </button>
      </div>
      <ErrorAlert message={error()} />
      <Show when={done()}>
        <p role="status">{done()}</p>
      </Show>
    </section>
  );
}
