/**
 * Every response a worker test receives is checked against GET
 * /api/openapi.json: the route must be in the document, the status must be one
 * the document declares for it, and a JSON body must match the declared schema
 * (validated with @cfworker/json-schema, which runs in workerd without eval).
 * A route missing from the document or a response that contradicts it fails
 * the test that made the request.
 */
import { Validator } from "@cfworker/json-schema";
import { exports } from "cloudflare:workers";

type Json = any;
export interface Operation {
  method: string;
  /** The document's path template, e.g. `/api/user/inbox/{id}`. */
  template: string;
  op: Json;
}

let doc: Promise<Json> | undefined;
export function openapiDocument(): Promise<Json> {
  doc ??= exports.default.fetch(new Request("http://localhost/api/openapi.json")).then((r) => {
    if (r.status !== 200) throw new Error(`GET /api/openapi.json → ${r.status}`);
    return r.json();
  });
  return doc;
}

/** Every operation in the document. */
export async function operations(): Promise<Operation[]> {
  const d = await openapiDocument();
  return Object.entries(d.paths as Record<string, Record<string, Json>>).flatMap(([template, item]) =>
    Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), template, op })),
  );
}

// Exact paths: the Worker routes strictly, so `/api/audio/` (what `/api/audio/uploads/..`
// normalises to) is an unknown route answering the shared 404, not the list operation.
const matcher = (template: string) =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`);

export async function findOperation(method: string, path: string): Promise<Operation | undefined> {
  const pathname = new URL(path, "http://x").pathname;
  const ops = await operations();
  // Literal segments beat parameters (e.g. /uploads/{id} before /{id}).
  const hits = ops.filter((o) => o.method === method && matcher(o.template).test(pathname));
  return hits.sort(
    (a, b) => b.template.replace(/\{[^}]+\}/g, "").length - a.template.replace(/\{[^}]+\}/g, "").length,
  )[0];
}

const validators = new Map<Json, Validator>();
function validatorFor(schema: Json, components: Json): Validator {
  let v = validators.get(schema);
  if (!v) {
    // `#/components/...` refs resolve against this root, which carries the document's components.
    v = new Validator({ ...schema, components }, "2020-12", false);
    validators.set(schema, v);
  }
  return v;
}

/** Throws when a response contradicts the document (see the file comment). */
export async function checkResponse(
  method: string,
  path: string,
  res: { status: number; headers: Headers },
  body: unknown,
): Promise<void> {
  if (res.status === 101 || new URL(path, "http://x").pathname === "/api/openapi.json") return;
  const d = await openapiDocument();
  const found = await findOperation(method, path);
  const where = `${method} ${path} → ${res.status}`;
  // Unknown routes answer the shared error body.
  const response = found
    ? found.op.responses?.[String(res.status)]
    : res.status === 404
      ? d.paths && { content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } }
      : undefined;
  if (!found && res.status !== 404) throw new Error(`${where}: the route is not in /api/openapi.json`);
  if (!response) throw new Error(`${where}: status not declared in /api/openapi.json for ${found!.template}`);
  const type = res.headers.get("content-type") ?? "";
  if (!/json/.test(type) || body === null || typeof body === "string") return;
  const schema = response.content?.["application/json"]?.schema;
  if (!schema) throw new Error(`${where}: a JSON body the document doesn't declare`);
  const result = validatorFor(schema, d.components).validate(body);
  if (!result.valid)
    throw new Error(
      `${where}: body contradicts /api/openapi.json: ${JSON.stringify(result.errors.slice(0, 5))}\n${JSON.stringify(body).slice(0, 500)}`,
    );
}
