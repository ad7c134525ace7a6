import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The web app lives in web/; the Worker serves web/dist as static assets
// (wrangler.toml [assets]), so the build output must land there.
/**
 * GET /api/docs loads Scalar's standalone bundle from the Worker's own static
 * assets (never a CDN), so the API docs work offline. It is copied, not
 * bundled: it is only ever fetched by the docs page.
 */
const scalarBundle = {
  name: "continuum-scalar-bundle",
  closeBundle() {
    mkdirSync(here("./web/dist/docs"), { recursive: true });
    copyFileSync(
      here("./node_modules/@scalar/api-reference/dist/browser/standalone.js"),
      here("./web/dist/docs/scalar.js"),
    );
  },
};

export default defineConfig({
  root: here("./web"),
  plugins: [solid(), scalarBundle],
  resolve: {
    // Wire types shared with the Worker (type-only imports: no zod in the bundle).
    alias: { "@protocol": here("./workers/protocol") },
  },
  build: {
    outDir: here("./web/dist"),
    emptyOutDir: true,
    target: "es2022",
  },
  server: {
    // `wrangler dev` serves the API; the dev server proxies to it, sockets too.
    proxy: {
      "/api": { target: "http://127.0.0.1:8787", ws: true },
    },
  },
});
