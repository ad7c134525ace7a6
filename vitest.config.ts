/**
 * Two test projects, one command (`npm test`):
 *  - worker: the Hono app and the UserHub DO inside workerd
 *    (@cloudflare/vitest-plugin), against a real embedded Postgres started by
 *    tests/global-setup.ts and reached through the same Neon driver + relay.
 *  - e2e: Node-side tests that run the whole app (wrangler dev) and drive
 *    Debian's Chromium with playwright-core.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
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
                LOCAL_WS_PROXY: inject("wsProxy"),
                OUTAGE_DATABASE_URL: inject("outageDatabaseUrl"),
                OUTAGE_WS_PROXY: inject("outageWsProxy"),
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
    ],
  },
});
