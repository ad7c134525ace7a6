/**
 * What the bench reports about the machine and the build: CPU, versions, the
 * web bundle's initial download and the Worker bundle, gzipped.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { cpus, hostname, totalmem } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT, runNode } from "./stack.ts";

export function pkgVersion(name: string): string {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}

export function machine() {
  const cpuModel = cpus()[0]?.model?.trim() ?? "?";
  let nproc = String(cpus().length);
  try {
    nproc = execFileSync("nproc", { encoding: "utf8" }).trim();
  } catch {
    // keep os.cpus()
  }
  return {
    nproc,
    cpuModel,
    memGiB: (totalmem() / 2 ** 30).toFixed(1),
    kernel: (() => {
      try {
        return execFileSync("uname", ["-sr"], { encoding: "utf8" }).trim();
      } catch {
        return "?";
      }
    })(),
    host: hostname(),
  };
}

const gz = (buf: Buffer) => gzipSync(buf, { level: 9 }).length;
export const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

export interface Sizes {
  web: {
    ok: boolean;
    note?: string;
    initialJs?: number;
    initialCss?: number;
    allJs?: number;
    /** The lazily loaded Studio route (views + Web Audio engine). */
    studioJs?: number;
    html?: number;
    files?: string[];
  };
  worker: { ok: boolean; note?: string; raw?: number; gzip?: number };
}

export async function buildWeb(outDir: string): Promise<Sizes["web"]> {
  if (!existsSync(path.join(ROOT, "web/index.html"))) return { ok: false, note: "web/index.html not found" };
  const vite = path.join(ROOT, "node_modules/vite/bin/vite.js");
  // BIG_PROFILE=1 (bench/browser-profile.ts): readable names in the CPU profiles.
  const minify = process.env.BIG_PROFILE === "1" ? ["--minify", "false"] : [];
  const r = await runNode([vite, "build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn", ...minify], {
    timeoutMs: 120_000,
  });
  const indexPath = path.join(outDir, "index.html");
  if (r.code !== 0 || !existsSync(indexPath))
    return { ok: false, note: `vite build failed: ${r.out.trim().split("\n").slice(-3).join(" ").slice(0, 300)}` };
  const html = readFileSync(indexPath, "utf8");
  const refs = (re: RegExp) => [...html.matchAll(re)].map((m) => m[1]!).filter((u) => !/^https?:/.test(u));
  // What the browser fetches before first paint: entry module(s), modulepreloads, stylesheets.
  const js = [
    ...refs(/<script[^>]*type="module"[^>]*src="([^"]+)"/g),
    ...refs(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g),
  ];
  const css = refs(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g);
  const size = (files: string[]) => files.reduce((n, f) => n + gz(readFileSync(path.join(outDir, f))), 0);
  const allJsFiles: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".js")) allJsFiles.push(path.relative(outDir, p));
    }
  };
  walk(outDir);
  return {
    ok: true,
    initialJs: size(js),
    initialCss: size(css),
    allJs: size(allJsFiles),
    studioJs: size(allJsFiles.filter((f) => /(^|\/)Studio-[\w-]+\.js$/.test(f))),
    html: gz(Buffer.from(html)),
    files: [...js, ...css],
  };
}

export function workerSize(bundleDir: string): Sizes["worker"] {
  const modules = readdirSync(bundleDir).filter((f) => /\.(m?js|wasm)$/.test(f));
  const raw = modules.reduce((n, f) => n + readFileSync(path.join(bundleDir, f)).length, 0);
  const gzip = modules.reduce((n, f) => n + gz(readFileSync(path.join(bundleDir, f))), 0);
  return { ok: true, raw, gzip };
}
