/**
 * Two test projects, one command (`npm test`):
 *  - worker: the Hono app and the UserHub DO inside workerd
 *    (@cloudflare/vitest-plugin), against a real embedded Postgres started by
 *    tests/global-setup.ts and reached through the same Neon driver + relay.
 *  - e2e: Node-side tests that run the whole app (wrangler dev) and drive
 *    Chromium with playwright-core (the system's or the bundled one:
 *    scripts/chromium.ts; tests/e2e/chromium-setup.ts fails the run in one
 *    line when there is none).
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./tests/global-setup.ts"],
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                DATABASE_URL: inject("databaseUrl"),
                OWNER_DATABASE_URL: inject("ownerDatabaseUrl"),
                LOCAL_WS_PROXY: inject("wsProxy"),
                LOCAL_SQL_ENDPOINT: inject("sqlEndpoint"),
                OUTAGE_DATABASE_URL: inject("outageDatabaseUrl"),
                OUTAGE_WS_PROXY: inject("outageWsProxy"),
                OUTAGE_SQL_ENDPOINT: inject("outageSqlEndpoint"),
                CONTROL_URL: inject("controlUrl"),
              },
            },
          })),
        ],
        test: {
          name: "worker",
          include: ["tests/worker/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          globalSetup: ["./tests/e2e/chromium-setup.ts"],
          include: ["tests/e2e/**/*.test.ts"],
          // Each file starts wrangler dev (+ Chromium): one file at a time, in a
          // group of its own (never alongside the worker project's files), so a
          // busy CPU doesn't skew the live-latency check.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // UI waits are event-driven but bounded; 1 s (the default) is too tight on 2 cores.
          expect: { poll: { timeout: 15_000, interval: 100 } },
        },
      },
      {
        // The web sync client and its rules, as vite resolves them (@protocol → workers/protocol).
        resolve: { alias: { "@protocol": fileURLToPath(new URL("./workers/protocol", import.meta.url)) } },
        test: { name: "unit", environment: "node", include: ["tests/unit/**/*.test.ts"] },
      },
    ],
  },
});
