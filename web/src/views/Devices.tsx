import { For, onMount, Show } from "solid-js";
import { RenameDevice } from "./RenameDevice.tsx";
import { listSessions, revokeSession } from "../mutations/sessions.ts";
import type { DeviceSession } from "../api/types.ts";
import { focusHeadingAfterNav } from "../ui/a11y.ts";
import { createServerList } from "../ui/server-list.ts";
import { dateTime, describeAgent, relative } from "../ui/format.ts";
import { Screen } from "../components/Screen.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";

/** This account's sessions. Needs the network: device sessions aren't cached. */
export default function Devices(props: { onSignOut: () => void }) {
  const { items: list, setItems: setList, error, busy, load, act, drop } = createServerList(listSessions);
  onMount(() => {
    focusHeadingAfterNav("devices-title");
    void load();
  });

  const revoke = (d: DeviceSession) => act(d.id, () => revokeSession(d.id).then(() => drop(d.id)));

  return (
    <Screen
      id="devices-title"
      title="Devices"
      actions={
        <button type="button" class="ghost" onClick={() => void load()}>
          Refresh
        </button>
      }
    >
      <p class="muted">Everywhere you're signed in. Signing a device out ends its session at once.</p>
      <ErrorAlert message={error()} />
      <Show when={list() || error()} fallback={<p class="muted">Loading…</p>}>
        <ul class="list" role="list">
          <For each={list() ?? []}>
            {(d) => (
              <li class="card item">
                <div class="item-main">
                  <h2 class="item-title">
                    {d.kind === "token" ? `Access token “${d.name}”` : (d.device_name ?? describeAgent(d.user_agent))}
                    <Show when={d.current}>
                      <span class="badge">This device</span>
                    </Show>
                  </h2>
                  <p class="muted small">
                    <Show when={d.kind === "device" && d.device_name}>{describeAgent(d.user_agent)} · </Show>
                    Last active {relative(d.last_seen_at)} · signed in {dateTime(d.created_at)}
                  </p>
                  <Show when={d.kind === "device"}>
                    <RenameDevice
                      device={d}
                      onRenamed={(name) =>
                        setList((l) => l?.map((x) => (x.id === d.id ? { ...x, device_name: name } : x)) ?? null)
                      }
                    />
                  </Show>
                </div>
                <div class="item-actions">
                  <Show
                    when={!d.current}
                    fallback={
                      <button type="button" class="ghost danger" onClick={() => props.onSignOut()}>
                        Sign out
                      </button>
                    }
                  >
                    <button
                      type="button"
                      class="ghost danger"
                      disabled={busy() === d.id}
                      onClick={() => void revoke(d)}
                    >
                      {d.kind === "token" ? "Revoke" : "Sign out that device"}
                      <span class="sr-only"> ({d.kind === "token" ? d.name : describeAgent(d.user_agent)})</span>
                    </button>
                  </Show>
                </div>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </Screen>
  );
}
