import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";
import solid from "vite-plugin-solid";
import { declaredLimits } from "./workers/protocol/registry.ts";

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
  plugins: [
    solid(),
    scalarBundle,
    // Installable, and a cold start works offline: the service worker
    // precaches the app shell and every chunk, and answers navigations with
    // index.html. It never answers /api/* — the sync client owns data (IndexedDB
    // + outbox), so API requests always go to the network, untouched.
    VitePWA({
      registerType: "prompt", // a new version waits until the user says reload (web/src/pwa.ts)
      injectRegister: false, // registered lazily from main.tsx, off the initial bundle
      includeAssets: ["favicon.svg", "icons/apple-touch-icon.png"],
      manifest: {
        name: "Continuum",
        short_name: "Continuum",
        description: "Your inbox, focus timer and references — on every device, live.",
        start_url: "/",
        scope: "/",
        display: "standalone",
        background_color: "#f6f6f9",
        theme_color: "#4f46e5",
        icons: [
          { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
          { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
          { src: "/icons/maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
        ],
      },
      workbox: {
        globPatterns: ["**/*.{js,css,html,svg,png,webmanifest}"],
        globIgnores: ["docs/**"], // the API docs' bundle is big and only for /api/docs (online)
        navigateFallback: "/index.html",
        navigateFallbackDenylist: [/^\/api\//],
        cleanupOutdatedCaches: true,
        runtimeCaching: [], // nothing at runtime: no API responses in Cache Storage, ever
      },
    }),
  ],
  // The numbers of declared record types (quota, field lengths: workers/protocol/declare.ts `limits`),
  // inlined at build time where a view reads them — the declaration's module itself never enters the bundle.
  define: { DECLARED_LIMITS: JSON.stringify(declaredLimits) },
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
