// My loops: the list (live from the sync store) and the editor of the one picked.
import { createMemo, createSignal, For, Show } from "solid-js";
import type { Loop, User } from "../../api/types.ts";
import { loopPattern } from "../../audio/pattern.ts";
import { useRecords } from "../../ui/sync-context.ts";
import { Counters, countPlay, PlayButton } from "./common.tsx";
import { LoopEditor } from "./LoopEditor.tsx";

export function Loops(props: { user: User }) {
  const loops = useRecords("loop");
  const own = createMemo(() =>
    loops()
      .filter((l) => l.owner.id === props.user.id)
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id)),
  );
  // null: nothing open; "new": a fresh loop; otherwise the id being edited.
  const [open, setOpen] = createSignal<string | null>(null);
  const current = createMemo(() => {
    const id = open();
    return id && id !== "new" ? own().find((l) => l.id === id) : undefined;
  });

  return (
    <div class="studio-split">
      <section aria-labelledby="loops-title" class="stack">
        <div class="row wrap">
          <h2 id="loops-title" class="grow">
            My loops
          </h2>
          <button type="button" class="primary" onClick={() => setOpen("new")}>
            New loop
          </button>
        </div>
        <Show
          when={own().length}
          fallback={<p class="empty card">No loops yet. Make one: pick chords, a beat, press play.</p>}
        >
          <ul class="list" role="list" aria-label="My loops" data-testid="loop-list">
            <For each={own()}>{(loop) => <LoopRow loop={loop} onOpen={() => setOpen(loop.id)} />}</For>
          </ul>
        </Show>
      </section>
      {/* Keyed on the id, once the record exists: an editor opened before its optimistic record would start blank. */}
      <Show when={open() === "new" ? "new" : current() ? open() : null} keyed>
        {(id) => (
          <LoopEditor
            user={props.user}
            loop={id === "new" ? undefined : current()}
            onSaved={(savedId) => setOpen(savedId)}
            onClose={() => setOpen(null)}
          />
        )}
      </Show>
    </div>
  );
}

function LoopRow(props: { loop: Loop; onOpen: () => void }) {
  return (
    <li class="card item loop-row" data-testid="loop-row" data-loop-id={props.loop.id}>
      <div class="studio-item">
        <span class="swatch" style={{ background: props.loop.color }} aria-hidden="true" />
        <div class="grow">
          <h3 class="item-title">
            <button type="button" class="link" onClick={() => props.onOpen()}>
              {props.loop.name}
            </button>
          </h3>
          <p class="item-meta small muted">
            {props.loop.bars} {props.loop.bars === 1 ? "bar" : "bars"} · {props.loop.bpm} bpm ·{" "}
            {props.loop.visibility === "public" ? "Public" : "Private"}
            {props.loop.parent_loop_id || props.loop.parent_owner_deleted ? " · Remix" : ""}
          </p>
          <Counters loop={props.loop} />
        </div>
        <PlayButton
          id={props.loop.id}
          name={props.loop.name}
          pattern={() => loopPattern(props.loop)}
          onPlay={() => countPlay(props.loop.id)}
        />
      </div>
    </li>
  );
}
