/**
 * The registry (workers/protocol/registry.ts) is the one hand-kept list of
 * record types: the Worker's bundler has no glob import, and the web's
 * `EntityMap` type needs static imports. So a record defined in any protocol
 * module but left out of it fails here, by name.
 */
import { expect, test } from "vitest";
import { entities } from "../../workers/protocol/registry";

const modules = import.meta.glob<Record<string, unknown>>("../../workers/protocol/*.ts", { eager: true });

test("every record type defined in workers/protocol is in the registry", () => {
  const defined: string[] = [];
  for (const [file, exports] of Object.entries(modules))
    for (const [name, value] of Object.entries(exports)) {
      const r = value as { entity?: unknown; table?: unknown; toWire?: unknown };
      if (r && typeof r === "object" && typeof r.entity === "string" && r.table && typeof r.toWire === "function") {
        defined.push(r.entity);
        expect(
          (entities as Record<string, unknown>)[r.entity],
          `${file.split("/").pop()} ${name}: add it to workers/protocol/registry.ts`,
        ).toBe(value);
      }
    }
  expect(new Set(defined)).toEqual(new Set(Object.keys(entities)));
});
