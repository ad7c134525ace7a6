import { ErrorCode } from "@protocol/rules.ts";
import { createResource, createSignal, For, Match, onMount, Show, Switch } from "solid-js";
import { api, describeError, HttpError } from "../api/http.ts";
import type { AuthResponse, User } from "../api/types.ts";
import { forgetFirstScreen } from "../ui/first-screen.ts";

interface Issue {
  path?: Array<string | number>;
  message?: string;
}

/** 422 details are zod issues; show them next to the right field. */
function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof HttpError) || !Array.isArray(err.details)) return {};
  const out: Record<string, string> = {};
  for (const i of err.details as Issue[]) {
    const field = String(i.path?.[0] ?? "");
    if (field && i.message && !out[field]) out[field] = i.message;
  }
  return out;
}

interface DemoLogin {
  login: string;
  password: string;
}

/** Only a local `npm run dev` has a demo account; elsewhere GET /api/demo is null and nothing shows. */
const fetchDemo = () => api<DemoLogin | null>("/api/demo").catch(() => null);

export function Auth(props: { onAuthed: (user: User) => void; message?: string }) {
  // Signed out, whichever way (sign-out, a 401, another user): the warm start's copy of the last screen goes.
  onMount(forgetFirstScreen);
  const [mode, setMode] = createSignal<"login" | "signup">("login");
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal("");
  const [fields, setFields] = createSignal<Record<string, string>>({});
  const [demo] = createResource(fetchDemo);

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const get = (k: string) => String(form.get(k) ?? "");
    const body: Record<string, string> =
      mode() === "login"
        ? { login: get("login").trim(), password: get("password") }
        : { email: get("email").trim(), username: get("username").trim(), password: get("password") };
    await send(body);
  };

  const send = async (body: Record<string, string>) => {
    setBusy(true);
    setError("");
    setFields({});
    try {
      const path = "login" in body ? "/api/auth/login" : "/api/auth/signup";
      const res = await api<AuthResponse>(path, { method: "POST", body });
      props.onAuthed(res.user);
    } catch (err) {
      setFields(fieldErrors(err));
      setError(
        err instanceof HttpError && err.code === ErrorCode.invalid_credentials
          ? "That email/username and password don't match."
          : describeError(err),
      );
    } finally {
      setBusy(false);
    }
  };

  const field = (name: string, label: string, attrs: Record<string, string | number | boolean>, hint?: string) => (
    <div class="field">
      <label for={`auth-${name}`}>{label}</label>
      <input
        id={`auth-${name}`}
        name={name}
        required
        aria-invalid={fields()[name] ? "true" : undefined}
        aria-describedby={fields()[name] ? `auth-${name}-error` : hint ? `auth-${name}-hint` : undefined}
        {...attrs}
      />
      <Show when={hint && !fields()[name]}>
        <p id={`auth-${name}-hint`} class="hint">
          {hint}
        </p>
      </Show>
      <Show when={fields()[name]}>
        <p id={`auth-${name}-error`} class="field-error">
          {fields()[name]}
        </p>
      </Show>
    </div>
  );

  return (
    <main id="main" class="auth">
      <div class="auth-card card">
        <h1 class="brand-lg">Continuum</h1>
        <p class="muted">Your inbox, focus timer and settings — on every device, live.</p>
        <Show when={props.message}>
          <p class="banner" role="status">
            {props.message}
          </p>
        </Show>
        <div class="segmented" role="group" aria-label="Account">
          <For
            each={
              [
                ["login", "Sign in"],
                ["signup", "Create account"],
              ] as const
            }
          >
            {([m, text]) => (
              <button
                type="button"
                aria-pressed={mode() === m}
                onClick={() => (setMode(m), setError(""), setFields({}))}
              >
                {text}
              </button>
            )}
          </For>
        </div>
        <form onSubmit={submit}>
          <h2 class="sr-only">{mode() === "login" ? "Sign in" : "Create account"}</h2>
          <Switch>
            <Match when={mode() === "login"}>
              {field("login", "Email or username", {
                type: "text",
                autocomplete: "username",
                autocapitalize: "none",
                spellcheck: false,
              })}
              {field("password", "Password", { type: "password", autocomplete: "current-password" })}
            </Match>
            <Match when={mode() === "signup"}>
              {field("email", "Email", { type: "email", autocomplete: "email", maxlength: 254 })}
              {field(
                "username",
                "Username",
                {
                  type: "text",
                  autocomplete: "username",
                  autocapitalize: "none",
                  spellcheck: false,
                  pattern: "[a-z0-9_]{3,32}",
                },
                "3–32 characters: a–z, 0–9 and _",
              )}
              {field(
                "password",
                "Password",
                {
                  type: "password",
                  autocomplete: "new-password",
                  minlength: 10,
                },
                "At least 10 characters",
              )}
            </Match>
          </Switch>
          <p class="form-error" role="alert">
            {error()}
          </p>
          <button type="submit" class="primary wide" disabled={busy()}>
            {busy() ? "Please wait…" : mode() === "login" ? "Sign in" : "Create account"}
          </button>
        </form>
        <Show when={demo()}>
          {(d) => (
            <aside class="demo-login stack" aria-labelledby="demo-title">
              <h2 id="demo-title">Local demo</h2>
              <p class="muted">
                Sign in as <strong>{d().login}</strong> with the password <code>{d().password}</code>: an account with
                something in every screen.
              </p>
              <button type="button" class="wide" disabled={busy()} onClick={() => void send({ ...d() })}>
                Sign in as {d().login}
              </button>
            </aside>
          )}
        </Show>
      </div>
    </main>
  );
}
