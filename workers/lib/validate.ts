/**
 * Request validation with the SPEC's status codes: a JSON body that fails its
 * schema is 422 (zod issues in `details`); bad query/path params are 400.
 * Text containing NUL is refused too: Postgres cannot store it in `text`.
 */
import { zValidator } from "@hono/zod-validator";
import type { ZodType } from "zod";
import { AppError } from "../errors";

type Issue = { path: PropertyKey[]; message: string; code: string };
const describe = (issues: readonly Issue[]) =>
  issues.map((i) => ({ path: i.path.map(String).join("."), code: i.code, message: i.message }));

/** Path of the first string (or key) holding a NUL character, if any. */
function findNul(value: unknown, path: string[] = []): string[] | undefined {
  if (typeof value === "string") return value.includes("\u0000") ? path : undefined;
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes("\u0000")) return [...path, k];
      const found = findNul(v, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}

const nulIssue = (path: string[]) => [
  { path: path.join("."), code: "invalid_string", message: "NUL characters are not allowed" },
];

export const jsonBody = <T extends ZodType>(schema: T) =>
  zValidator("json", schema, (result) => {
    const nul = result.success ? findNul(result.data) : undefined;
    if (!result.success || nul)
      throw new AppError(422, "validation_failed", "The request body is invalid.", {
        details: result.success ? nulIssue(nul!) : describe(result.error.issues as Issue[]),
      });
  });

export const queryParams = <T extends ZodType>(schema: T) =>
  zValidator("query", schema, (result) => {
    const nul = result.success ? findNul(result.data) : undefined;
    if (!result.success || nul)
      throw new AppError(400, "invalid_query", "The query parameters are invalid.", {
        details: result.success ? nulIssue(nul!) : describe(result.error.issues as Issue[]),
      });
  });
