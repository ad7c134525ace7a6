/**
 * Child processes that run in a process group of their own, shared by
 * scripts/ (npm run dev, the wrangler launcher) and bench/.
 *
 * Why groups: `wrangler dev` starts workerd as a child of its own, and workerd
 * outlives wrangler when only wrangler is signalled. Starting the child with
 * `detached: true` makes it the leader of a new group, so signalling `-pid`
 * reaches wrangler and workerd (and anything else they spawned) together.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Signals every process in the group led by `pid`; a group already gone is fine. */
export function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

export const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a group: `sig` first, SIGKILL after `graceMs` if the leader has not
 * exited, and SIGKILL to the group in any case (workerd may outlive wrangler).
 */
export async function stopGroup(child: ChildProcess, sig: NodeJS.Signals = "SIGTERM", graceMs = 5_000): Promise<void> {
  if (isRunning(child)) {
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    killGroup(child.pid, sig);
    await Promise.race([exited, sleep(graceMs)]);
  }
  killGroup(child.pid, "SIGKILL");
}

export interface GroupProcess {
  child: ChildProcess;
  alive(): boolean;
  /** The tail of stdout + stderr (when piped). */
  output(): string;
  stop(sig?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/**
 * Spawns `cmd` as the leader of a new process group. Output is piped and its
 * tail kept (unless `stdio` says otherwise); a process exit kills the group
 * as a last resort, so nothing is left behind by a crash.
 */
export function spawnGroup(
  cmd: string,
  args: string[],
  opts: Omit<SpawnOptions, "detached"> & { keepOutput?: number } = {},
): GroupProcess {
  const { keepOutput = 20_000, ...spawnOpts } = opts;
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...spawnOpts, detached: true });
  let out = "";
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-keepOutput);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const onExit = () => killGroup(child.pid, "SIGKILL");
  // Kept after the leader exits: workerd may outlive wrangler.
  process.once("exit", onExit);
  return {
    child,
    alive: () => isRunning(child),
    output: () => out,
    async stop(sig = "SIGTERM", graceMs = 5_000) {
      await stopGroup(child, sig, graceMs);
      process.off("exit", onExit);
    },
  };
}
