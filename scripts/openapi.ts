/**
 * `npm run openapi`: writes the OpenAPI document the Worker serves at
 * /api/openapi.json to .data/openapi.json (loading workers/app.ts in Node
 * through Vite's module runner), for `redocly lint` in `npm run check`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runnerImport } from "vite";

const root = fileURLToPath(new URL("..", import.meta.url));
// Typed loosely on purpose: the Worker's types (bindings) are not part of the scripts' tsconfig.
const { module } = await runnerImport<{ app: unknown; openapiDocument(app: unknown, origin: string): unknown }>(
  `${root}workers/app.ts`,
);
mkdirSync(`${root}.data`, { recursive: true });
const out = process.argv[2] ?? `${root}.data/openapi.json`;
writeFileSync(out, JSON.stringify(module.openapiDocument(module.app, "http://localhost:8787"), null, 2));
console.log(`wrote ${out}`);
