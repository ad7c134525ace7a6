/**
 * GET /api/demo: the demo login, for the sign-in page of a local run.
 *
 * `DEMO_LOGIN` ("login:password") is passed only by scripts/dev.ts when it has
 * seeded a local database with the demo account; wrangler.toml never sets it,
 * so a deployed Worker answers `null` and its sign-in page shows nothing. A
 * 200 either way: a 404 would be a red console error on every signed-out visit.
 */
import { z } from "zod";
import { createApi, jsonContent, register, route } from "../http/openapi";

export const demo = createApi();

const demoLoginSchema = z.object({ login: z.string(), password: z.string() });

register(
  demo,
  route({
    method: "get",
    path: "/",
    session: "none",
    db: false,
    tags: ["Meta"],
    operationId: "getDemoLogin",
    responses: {
      200: jsonContent(
        z.union([demoLoginSchema, z.null()]),
        "The seeded demo account of a local `npm run dev`, or null",
      ),
    },
  }),
  (c) => {
    const value = c.env.DEMO_LOGIN;
    const at = value?.indexOf(":") ?? -1;
    if (!value || at < 1) return c.json(null, 200);
    return c.json({ login: value.slice(0, at), password: value.slice(at + 1) }, 200);
  },
);
