// The unit tests' fake server (./harness.ts) is held to the real API: every
// request it serves must be an operation of the Worker's OpenAPI document (the
// one GET /api/openapi.json serves and `npm run openapi` writes), and every
// answer must have a status that operation declares and a body that matches
// the declared schema. Request bodies the document refuses get the real 422.
//
// One leniency, on purpose: the unit tests name records "a", "n1", … for
// readability, so `format: uuid` is not enforced here (the worker tests, against
// the real Worker, enforce it). Everything else — routes, methods, statuses,
// error codes' shape, record shapes — is.
import { Validator } from "@cfworker/json-schema";

type Json = any;

/** Statuses that reach a client from outside the Worker's contract: Cloudflare's edge, an overloaded or crashed runtime. */
export const EDGE_STATUSES = new Set([429, 500, 502, 503, 504]);

const withoutUuidFormat = (v: Json): Json =>
  Array.isArray(v)
    ? v.map(withoutUuidFormat)
    : v && typeof v === "object"
      ? Object.fromEntries(
          Object.entries(v)
            .filter(([k, x]) => !(k === "format" && x === "uuid"))
            .map(([k, x]) => [k, withoutUuidFormat(x)]),
        )
      : v;

// The Worker's own document, built in-process as scripts/openapi.ts does. Loaded
// by a path in a variable, so this (web-typed) project doesn't typecheck the
// Worker's sources without their bindings.
const workerApp = "../../workers/app.ts";
const worker = (await import(/* @vite-ignore */ workerApp)) as {
  app: unknown;
  openapiDocument(app: unknown, origin: string): Json;
};
const doc: Json = withoutUuidFormat(worker.openapiDocument(worker.app, "http://localhost"));
const document = (): Json => doc;

interface Operation {
  method: string;
  template: string;
  op: Json;
}

const matcher = (template: string) =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}/?$`);

/** The document's operation for a request (literal segments beat parameters), or undefined. */
export function operationFor(method: string, pathname: string): Operation | undefined {
  const ops: Operation[] = Object.entries(document().paths as Record<string, Record<string, Json>>).flatMap(
    ([template, item]) => Object.entries(item).map(([m, op]) => ({ method: m.toUpperCase(), template, op })),
  );
  return ops
    .filter((o) => o.method === method && matcher(o.template).test(pathname))
    .sort((a, b) => b.template.replace(/\{[^}]+\}/g, "").length - a.template.replace(/\{[^}]+\}/g, "").length)[0];
}

const validators = new Map<Json, Validator>();
function valid(schema: Json, value: unknown): string | null {
  let v = validators.get(schema);
  if (!v) validators.set(schema, (v = new Validator({ ...schema, components: document().components }, "2020-12")));
  // As it travels: JSON text (undefined fields vanish).
  const r = v.validate(value === undefined ? value : JSON.parse(JSON.stringify(value)));
  return r.valid ? null : JSON.stringify(r.errors.slice(0, 3));
}

/** Why the document would refuse this request body (→ 422), or null. */
export function requestBodyProblem(op: Operation, body: unknown): string | null {
  const schema = op.op.requestBody?.content?.["application/json"]?.schema;
  if (!schema) return null;
  return valid(schema, body);
}

/** Why this answer contradicts the document, or null. `scripted`: a test's failNext (edge statuses allowed). */
export function responseProblem(
  method: string,
  pathname: string,
  status: number,
  body: unknown,
  scripted = false,
): string | null {
  const where = `${method} ${pathname} → ${status}`;
  const op = operationFor(method, pathname);
  if (!op) return `${where}: no such operation in /api/openapi.json`;
  const declared = op.op.responses?.[String(status)];
  if (!declared) {
    if (!(scripted && EDGE_STATUSES.has(status))) return `${where}: status not declared for ${op.template}`;
    if (body === undefined) return null;
    return valid({ $ref: "#/components/schemas/Error" }, body) && `${where}: not an Error body`;
  }
  const schema = declared.content?.["application/json"]?.schema;
  if (body === undefined) return schema && status !== 304 ? `${where}: the document declares a body` : null;
  if (!schema) return `${where}: a body the document doesn't declare`;
  const problem = valid(schema, body);
  return problem && `${where}: ${problem} in ${JSON.stringify(body).slice(0, 300)}`;
}
