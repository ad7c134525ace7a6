// Polls one conversation's state with If-None-Match (SPEC §4 transport
// policy): quickly while the assistant is working, backing off while nothing
// changes, paused while the page is hidden, at once when it is shown again or
// when something says the state moved (a socket change, our own action).

export const POLL_BASE_MS = 2_000;
export const POLL_BUSY_MS = 1_000;
export const POLL_MAX_MS = 30_000;
export const POLL_BACKOFF = 1.5;

export interface PollerDeps<S> {
  /** The new state, or null when unchanged. Throws when unreachable. */
  fetch(): Promise<S | null>;
  onState(state: S): void;
  /** Whether the assistant is still working (poll faster). */
  busy(state: S): boolean;
  hidden(): boolean;
  onVisibility(fn: () => void): () => void;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  /** Longest wait between polls (a socket device can wait longer: changes wake it). */
  maxMs?: number;
}

export interface Poller {
  /** Poll now and restart the backoff. */
  nudge(): void;
  stop(): void;
}

export function startPoller<S>(deps: PollerDeps<S>): Poller {
  const max = deps.maxMs ?? POLL_MAX_MS;
  let delay = POLL_BASE_MS;
  let timer: unknown = null;
  let inflight = false;
  let again = false;
  let stopped = false;

  const schedule = () => {
    if (stopped || deps.hidden()) return;
    if (timer !== null) deps.clearTimer(timer);
    timer = deps.setTimer(() => {
      timer = null;
      void tick();
    }, delay);
  };

  const tick = async () => {
    if (stopped) return;
    if (inflight) {
      again = true;
      return;
    }
    inflight = true;
    try {
      const state = await deps.fetch();
      if (state) {
        deps.onState(state);
        delay = deps.busy(state) ? POLL_BUSY_MS : POLL_BASE_MS;
      } else delay = Math.min(max, Math.round(delay * POLL_BACKOFF));
    } catch {
      delay = Math.min(max, Math.round(delay * POLL_BACKOFF));
    } finally {
      inflight = false;
    }
    if (again) {
      again = false;
      return tick();
    }
    schedule();
  };

  const offVisibility = deps.onVisibility(() => {
    if (deps.hidden()) {
      if (timer !== null) deps.clearTimer(timer);
      timer = null;
    } else {
      delay = POLL_BASE_MS;
      void tick();
    }
  });

  void tick();
  return {
    nudge() {
      delay = POLL_BASE_MS;
      void tick();
    },
    stop() {
      stopped = true;
      offVisibility();
      if (timer !== null) deps.clearTimer(timer);
    },
  };
}
