/**
 * The demo seed (scripts/seed-demo.ts) and other Node scripts import the
 * record registry directly, without Vite: workers/protocol/ must keep `.ts`
 * import extensions. This loads it in a plain Node process and compares its
 * entities with what Vite sees.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { entities } from "../../workers/protocol/registry.ts";

test("the record registry loads in plain Node, with the same entities", () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const out = execFileSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      'const { entities } = await import("./workers/protocol/registry.ts"); console.log(JSON.stringify(Object.keys(entities)));',
    ],
    { cwd: root, encoding: "utf8" },
  );
  expect(JSON.parse(out)).toEqual(Object.keys(entities));
});
