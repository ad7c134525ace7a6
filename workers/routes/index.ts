/**
 * Every API domain and where it is mounted. workers/index.ts mounts this
 * list; the OpenAPI document and the tests are generated from what it holds.
 * Each sub-app authenticates per route (see http/openapi.ts `route()`), so the
 * order of this list does not matter.
 */
import type { Api } from "../http/openapi";
import { type Declared, plainCrud } from "../http/crud";
import { entities } from "../protocol/registry";
import { referenceRecord } from "../protocol/references";
import { todoRecord } from "../protocol/todos";
import { assistant } from "./assistant";
import { audio } from "./audio";
import { auth } from "./auth";
import { demo } from "./demo";
import { focus } from "./focus";
import { health } from "./health";
import { history } from "./history";
import { libraries } from "./libraries";
import { market, marketItems } from "./market";
import { mcp } from "./mcp";
import { references } from "./references";
import { settingsRoutes } from "./settings";
import { studio, studioSongs } from "./studio";
import { sync } from "./sync";
import { todoRoutes } from "./todos";
import { tokens } from "./tokens";
import { yourData } from "./your-data";
import { sessionRoutes } from "./sessions";

const modules: ReadonlyArray<{ path: string; app: Api }> = [
  { path: "/api/health", app: health },
  { path: "/api/demo", app: demo },
  { path: "/api/auth", app: auth },
  { path: "/api/settings", app: settingsRoutes },
  { path: "/api/focus", app: focus },
  { path: "/api/focus/libraries", app: libraries },
  { path: "/api/audio", app: audio },
  { path: referenceRecord.api.path, app: references },
  { path: "/api/studio", app: studio },
  { path: "/api/studio/songs", app: studioSongs },
  { path: "/api/market/items", app: marketItems },
  { path: "/api/market", app: market },
  { path: "/api/sync", app: sync },
  { path: todoRecord.api.path, app: todoRoutes },
  { path: "/api/assistant", app: assistant },
  { path: "/api/auth/tokens", app: tokens },
  { path: "/api", app: yourData },
  { path: "/api", app: history },
  { path: "/api/auth", app: sessionRoutes },
  { path: "/mcp", app: mcp },
];

/** Whether a module above serves `path` itself (mounted there, or a route of it is). */
const served = (path: string) =>
  modules.some((m) => m.path === path || m.app.routes.some((r) => `${m.path}${r.path}`.replace(/\/$/, "") === path));

/** Declared record types (protocol/declare.ts) no module serves: the plain CRUD shape at their `api.path`. */
const plain = Object.values(entities)
  .filter((r): r is typeof r & Declared => "api" in r && !served(r.api.path))
  .map((r) => ({ path: r.api.path, app: plainCrud(r) }));

export const domains: ReadonlyArray<{ path: string; app: Api }> = [...modules, ...plain];
