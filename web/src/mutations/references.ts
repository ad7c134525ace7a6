// References: notes, links and recordings, plus the list rules the view
// applies on this device (the same as GET /api/references).
import type { Reference, UpdateReference } from "../api/types.ts";
import type { SyncStore } from "../sync/store.ts";
import { fold } from "../ui/search.ts";
import { recordClient, type Fields } from "./record.ts";

export type ReferenceInput = Fields<"reference">;

const client = recordClient("reference", "/api/references", { noun: "reference", title: (r) => r.title });

export const createReference = (store: SyncStore, input: ReferenceInput) => client.create(store, input);

export const updateReference = (
  store: SyncStore,
  ref: Reference,
  patch: Omit<UpdateReference, "version">,
  label?: string,
) => client.edit(store, ref, patch, label);

export const deleteReference = (store: SyncStore, ref: Reference) => client.remove(store, ref);

/**
 * The references list, filtered on this device from the synced cache (so it
 * works offline and updates live). Same rules as `GET /api/references`:
 * pinned first, archived hidden unless asked, `q` matches words of title and
 * content by prefix, `tag` case-insensitively, `category` exactly.
 */
export function filterReferences(
  all: readonly Reference[],
  f: { q?: string; category?: string; tag?: string; archived?: boolean },
): Reference[] {
  // The server's rules (workers/data/references.ts): accents folded, every
  // word a prefix of a word in the title, text, tags or category.
  const terms = fold(f.q ?? "")
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  const tag = f.tag?.toLowerCase();
  return (
    all
      .filter((r) => (f.archived ? true : !r.archived))
      .filter((r) => !f.category || r.category === f.category)
      .filter((r) => !tag || r.tags.some((t) => t.toLowerCase() === tag))
      .filter((r) => {
        if (!terms.length) return true;
        const words = fold(`${r.title} ${r.content} ${r.tags.join(" ")} ${r.category ?? ""}`).split(/[^\p{L}\p{N}]+/u);
        return terms.every((t) => words.some((w) => w.startsWith(t)));
      })
      // ISO timestamps order as plain strings (no locale collation over thousands of references).
      .sort(
        (a, b) =>
          Number(b.pinned) - Number(a.pinned) ||
          (b.created_at < a.created_at ? -1 : b.created_at > a.created_at ? 1 : 0),
      )
  );
}
