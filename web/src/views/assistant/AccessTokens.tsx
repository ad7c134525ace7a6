// Settings → Access tokens: personal access tokens for MCP and API clients.
// A new token is shown once (with a copy button); the list and revoking use
// the same sessions API as devices (tokens are sessions of kind "token").
import { createSignal, For, onMount, Show } from "solid-js";
import { describeError } from "../../api/http.ts";
import type { DeviceSession, PersonalToken } from "../../api/types.ts";
import { createAccessToken, listSessions, revokeSession } from "../../mutations/sessions.ts";
import { Field } from "../../components/fields.tsx";
import { relative } from "../../ui/format.ts";
import { createServerList } from "../../ui/server-list.ts";
import "./assistant.css";
import { LIMITS } from "@protocol/rules.ts";
import { ErrorAlert } from "../../components/ErrorAlert.tsx";

export default function AccessTokens() {
  const {
    items: tokens,
    error,
    setError,
    load,
    act,
    drop,
  } = createServerList(async () => (await listSessions()).filter((s) => s.kind === "token"));
  const [fresh, setFresh] = createSignal<PersonalToken | null>(null);
  const [copied, setCopied] = createSignal(false);
  const [scope, setScope] = createSignal<PersonalToken["scope"]>("mcp");
  let nameInput: HTMLInputElement | undefined;

  onMount(() => void load());

  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    const name = nameInput?.value.trim() ?? "";
    if (!name) {
      setError("Give the token a name, e.g. the app that will use it.");
      return;
    }
    setError("");
    setCopied(false);
    try {
      setFresh(await createAccessToken(name, scope()));
      if (nameInput) nameInput.value = "";
      await load();
    } catch (err) {
      setError(describeError(err));
    }
  };

  const revoke = (t: DeviceSession) =>
    act(t.id, async () => {
      await revokeSession(t.id);
      if (fresh()?.id === t.id) setFresh(null);
      drop(t.id);
    });

  const copy = async () => {
    const t = fresh();
    if (!t) return;
    try {
      await navigator.clipboard.writeText(t.token);
      setCopied(true);
    } catch {
      setError("Copying failed: select the token and copy it by hand.");
    }
  };

  return (
    <section class="card stack" aria-labelledby="tokens-title">
      <h2 id="tokens-title">Access tokens</h2>
      <p class="muted small">
        For MCP clients and scripts: send one as <code>Authorization: Bearer …</code>. An “MCP only” token works at{" "}
        <code>/mcp</code> and nowhere else; “Full API” works everywhere. Tokens can't create tokens or sign devices out.
        Revoking one stops it at once.
      </p>
      <form class="row" onSubmit={(e) => void create(e)}>
        <Field for="token-name" label="Token name" inline>
          <input
            id="token-name"
            ref={(el) => (nameInput = el)}
            maxLength={LIMITS.assistant.tokenName}
            placeholder="Claude Desktop"
          />
        </Field>
        <Field for="token-scope" label="Access" inline>
          <select
            id="token-scope"
            value={scope()}
            onChange={(e) => setScope(e.currentTarget.value === "full" ? "full" : "mcp")}
          >
            <option value="mcp">MCP only</option>
            <option value="full">Full API</option>
          </select>
        </Field>
        <button type="submit" class="primary">
          Create token
        </button>
      </form>
      <ErrorAlert message={error()} />
      <Show when={fresh()}>
        {(t) => (
          <div class="banner stack" role="status">
            <p>
              <strong>{t().name}</strong>: copy it now — it will not be shown again.
            </p>
            <p class="token-secret" data-testid="new-token">
              {t().token}
            </p>
            <div class="row">
              <button type="button" onClick={() => void copy()}>
                {copied() ? "Copied" : "Copy token"}
              </button>
              <button type="button" class="ghost" onClick={() => setFresh(null)}>
                Done
              </button>
            </div>
          </div>
        )}
      </Show>
      <Show when={tokens()?.length} fallback={<p class="muted small">{tokens() ? "No tokens." : "Loading…"}</p>}>
        <ul class="list" role="list" aria-label="Access tokens">
          <For each={tokens()!}>
            {(t) => (
              <li class="item">
                <div class="item-main">
                  <span class="item-title">{t.name}</span>
                  <span class="muted small">
                    {t.scope === "mcp" ? "MCP only" : "Full API"} · created {relative(t.created_at)} · last used{" "}
                    {relative(t.last_seen_at)}
                  </span>
                </div>
                <div class="item-actions">
                  <button type="button" class="ghost danger" onClick={() => void revoke(t)}>
                    Revoke<span class="sr-only"> {t.name}</span>
                  </button>
                </div>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}
