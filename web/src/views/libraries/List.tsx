// The libraries list: create, rename, favorite, delete.
import { createMemo, createSignal, For, Show } from "solid-js";
import { LIMITS } from "@protocol/rules.ts";
import type { FocusLibrary } from "../../api/types.ts";
import { ConfirmDelete } from "../../components/ConfirmDelete.tsx";
import { createLibrary, deleteLibrary, sortLibraries } from "../../mutations/libraries.ts";
import { createDisclosure } from "../../ui/a11y.ts";
import { useRecords, useSync } from "../../ui/sync-context.ts";
import { FavoriteButton, RenameForm } from "./Form.tsx";
import { Screen } from "../../components/Screen.tsx";
import { Field } from "../../components/fields.tsx";

export function LibraryList() {
  const store = useSync();
  const libraries = useRecords("focus_library");
  const tracks = useRecords("focus_track");
  const sorted = createMemo(() => sortLibraries(libraries()));
  const counts = createMemo(() => {
    const m = new Map<string, number>();
    for (const t of tracks()) m.set(t.library_id, (m.get(t.library_id) ?? 0) + 1);
    return m;
  });
  const [name, setName] = createSignal("");

  const create = (e: SubmitEvent) => {
    e.preventDefault();
    const n = name().trim();
    if (!n) return;
    createLibrary(store, { name: n });
    setName("");
  };

  return (
    <Screen id="libraries-title" title="Libraries">
      <form class="card row wrap create-form" onSubmit={create}>
        <Field for="new-library" label="New library" grow>
          <input
            id="new-library"
            maxlength={LIMITS.library.name}
            required
            placeholder="e.g. Deep work"
            value={name()}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" class="primary">
          Create library
        </button>
      </form>
      <Show
        when={sorted().length}
        fallback={
          <div class="empty card">
            <p>No libraries yet.</p>
            <p class="muted">
              A library is a playlist for focus sessions: upload audio or add links, then pick it in Focus.
            </p>
          </div>
        }
      >
        <ul class="list" role="list" aria-label="Libraries" data-testid="library-list">
          <For each={sorted()}>{(lib) => <LibraryRow lib={lib} count={counts().get(lib.id) ?? 0} />}</For>
        </ul>
      </Show>
    </Screen>
  );
}

function LibraryRow(props: { lib: FocusLibrary; count: number }) {
  const store = useSync();
  const renaming = createDisclosure();
  return (
    <li class="card item library-row" data-testid="library-row" data-library-id={props.lib.id}>
      <Show when={!renaming.isOpen()} fallback={<RenameForm lib={props.lib} onDone={renaming.close} />}>
        <div class="item-main row">
          <FavoriteButton lib={props.lib} />
          <div>
            <h2 class="item-title">
              <a href={`#/libraries/${props.lib.id}`}>{props.lib.name}</a>
            </h2>
            <p class="muted small">
              {props.count} {props.count === 1 ? "track" : "tracks"}
            </p>
          </div>
        </div>
        <div class="item-actions">
          <button type="button" class="ghost" ref={renaming.opener} onClick={renaming.open}>
            Rename<span class="sr-only"> “{props.lib.name}”</span>
          </button>
          <ConfirmDelete
            what={`“${props.lib.name}”`}
            detail={props.count ? `and its ${props.count} ${props.count === 1 ? "track" : "tracks"}` : undefined}
            onConfirm={() => {
              void deleteLibrary(store, props.lib);
              document.getElementById("libraries-title")?.focus();
            }}
          />
        </div>
      </Show>
    </li>
  );
}
