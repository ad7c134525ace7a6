/**
 * Request validation with the SPEC's status codes: a JSON body that fails its
 * schema is 422 (zod issues in `details`); bad query/path params are 400.
 */
import { zValidator } from "@hono/zod-validator";
import type { ZodType } from "zod";
import { AppError } from "../errors";

type Issue = { path: PropertyKey[]; message: string; code: string };
const describe = (issues: readonly Issue[]) =>
  issues.map((i) => ({ path: i.path.map(String).join("."), code: i.code, message: i.message }));

export const jsonBody = <T extends ZodType>(schema: T) =>
  zValidator("json", schema, (result) => {
    if (!result.success)
      throw new AppError(422, "validation_failed", "The request body is invalid.", {
        details: describe(result.error.issues as Issue[]),
      });
  });

export const queryParams = <T extends ZodType>(schema: T) =>
  zValidator("query", schema, (result) => {
    if (!result.success)
      throw new AppError(400, "invalid_query", "The query parameters are invalid.", {
        details: describe(result.error.issues as Issue[]),
      });
  });
