/**
 * Writes wrangler.deploy.toml: wrangler.toml plus the Workers AI binding.
 *
 * Workers AI has no local simulation, and an `ai` binding makes wrangler run
 * in remote mode, so it must not be in wrangler.toml (which `npm run dev` and
 * the tests use). Deploys use this generated file instead — generated, not
 * copied by hand, so it can never drift from wrangler.toml. With the binding
 * present the assistant uses Workers AI unless ASSISTANT_PROVIDER says
 * otherwise (see workers/assistant/model.ts).
 *
 *   node scripts/deploy-config.ts          # writes wrangler.deploy.toml
 *   wrangler deploy --config wrangler.deploy.toml
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const AI_BINDING = `
# Added by scripts/deploy-config.ts (deploys only): Workers AI for the assistant.
[ai]
binding = "AI"
`;

export function deployConfig(base: string): string {
  if (/^\s*\[ai\]/m.test(base))
    throw new Error("wrangler.toml must not bind Workers AI: dev and tests would go remote");
  return `# GENERATED from wrangler.toml by scripts/deploy-config.ts — edit wrangler.toml instead.\n${base.trimEnd()}\n${AI_BINDING}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  writeFileSync(`${root}wrangler.deploy.toml`, deployConfig(readFileSync(`${root}wrangler.toml`, "utf8")));
  console.log("wrote wrangler.deploy.toml (wrangler.toml + the Workers AI binding)");
}
