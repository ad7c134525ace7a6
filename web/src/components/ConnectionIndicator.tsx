import type { SyncStatus } from "../sync/store.ts";
import { useStatus } from "../ui/sync-context.ts";

export function statusText(s: SyncStatus): string {
  const waiting = s.pending ? ` — ${s.pending} ${s.pending === 1 ? "change" : "changes"} waiting` : "";
  if (s.mode === "live") return `Live${waiting}`;
  if (s.mode === "polling") return `Polling every ${s.poll_interval_s} s${waiting}`;
  return `Offline${waiting}`;
}

/** Plain words, not just a coloured dot, so everyone can read the sync state. */
export function ConnectionIndicator() {
  const status = useStatus();
  return (
    <p class="conn" data-mode={status().mode} role="status" data-testid="connection-status">
      <span class="conn-dot" aria-hidden="true" />
      <span class="conn-text">{statusText(status())}</span>
    </p>
  );
}
