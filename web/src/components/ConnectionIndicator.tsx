import type { SyncStatus } from "../sync/store.ts";
import { useStatus } from "../ui/sync-context.ts";

export function statusText(s: SyncStatus): string {
  if (s.mode === "live") return "Live";
  if (s.mode === "polling") return `Polling every ${s.poll_interval_s} s`;
  if (!s.pending) return "Offline";
  return `Offline — ${s.pending} ${s.pending === 1 ? "change" : "changes"} waiting`;
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
