// sync/overlay.ts: what a view shows while the outbox holds changes.
import { describe, expect, test } from "vitest";
import type { CachedRecord, OutboxEntry } from "../../web/src/sync/db.ts";
import { overlay, overlayOne } from "../../web/src/sync/overlay.ts";

const rec = (id: string, version: number, title: string): CachedRecord => ({
  entity: "inbox_item",
  id,
  version,
  data: { id, version, title },
});
const base = (...rs: CachedRecord[]) => new Map(rs.map((r) => [r.id, r]));
const entry = (over: Partial<OutboxEntry>): OutboxEntry => ({
  key: "k",
  method: "PUT",
  path: "/api/user/inbox/a",
  entity: "inbox_item",
  id: "a",
  optimistic: null,
  label: "Edit",
  created_at: 0,
  attempts: 0,
  state: "pending",
  ...over,
});
const titles = (list: Array<Record<string, unknown>>) => list.map((d) => d.title);

describe("overlay", () => {
  test("pending changes show over the base, in queue order; a pending delete hides the record", () => {
    const shown = overlay("inbox_item", base(rec("a", 1, "one"), rec("b", 1, "two")), [
      entry({ optimistic: { op: "upsert", data: { id: "a", version: 2, title: "one!" } } }),
      entry({ optimistic: { op: "upsert", data: { id: "a", version: 3, title: "one!!" } } }),
      entry({ id: "b", optimistic: { op: "delete" } }),
    ]);
    expect(titles(shown)).toEqual(["one!!"]);
  });

  test("a committed entry shows the server's record until the feed brings something as new", () => {
    const committed = entry({ state: "committed", server: { id: "a", version: 2, title: "server" } });
    expect(titles(overlay("inbox_item", base(rec("a", 1, "old")), [committed]))).toEqual(["server"]);
    expect(titles(overlay("inbox_item", base(rec("a", 3, "newer")), [committed]))).toEqual(["newer"]);
  });

  test("other entities' entries don't apply", () => {
    const other = entry({ entity: "reference", optimistic: { op: "delete" } });
    expect(titles(overlay("inbox_item", base(rec("a", 1, "kept")), [other]))).toEqual(["kept"]);
  });

  test("overlayOne answers for one id exactly what overlay() holds for it (the same object)", () => {
    const cases: Array<[Map<string, CachedRecord>, OutboxEntry[]]> = [
      [
        base(rec("a", 1, "one"), rec("b", 1, "two")),
        [
          entry({ optimistic: { op: "upsert", data: { id: "a", version: 2, title: "one!" } } }),
          entry({ id: "b", optimistic: { op: "delete" } }),
          entry({ id: "c", optimistic: { op: "upsert", data: { id: "c", version: 0, title: "new" } } }),
        ],
      ],
      [base(rec("a", 1, "old")), [entry({ state: "committed", server: { id: "a", version: 2, title: "server" } })]],
      [base(rec("a", 3, "newer")), [entry({ state: "committed", server: { id: "a", version: 2, title: "server" } })]],
      [base(rec("a", 1, "kept")), [entry({ entity: "reference", optimistic: { op: "delete" } })]],
    ];
    for (const [b, outbox] of cases) {
      const all = overlay("inbox_item", b, outbox);
      for (const id of ["a", "b", "c", "zz"])
        expect(overlayOne("inbox_item", id, b, outbox)).toBe(all.find((d) => d.id === id));
    }
  });
});
