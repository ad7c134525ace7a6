// One reference in the list: its text, link, tags, recording and actions
// (pin, archive, edit in place, delete).
import { createSignal, Show } from "solid-js";
import type { Audio, Reference } from "../../api/types.ts";
import { AudioPlayer } from "../../components/AudioPlayer.tsx";
import { ConfirmDelete } from "../../components/ConfirmDelete.tsx";
import { TagList } from "../../components/TagList.tsx";
import { VersionsButton } from "../../components/VersionsButton.tsx";
import { deleteReference, updateReference } from "../../mutations/references.ts";
import { createDisclosure } from "../../ui/a11y.ts";
import { relative } from "../../ui/format.ts";
import { useSync } from "../../ui/sync-context.ts";
import { ReferenceForm } from "./Form.tsx";

const PREVIEW = 280;

export function ReferenceRow(props: {
  item: Reference;
  /** Its place in the (windowed) list. */
  index: number;
  size: number;
  audio: Audio | undefined;
  allAudio: readonly Audio[];
  categories: string[];
  onTag: (t: string) => void;
  onCategory: (c: string) => void;
}) {
  const store = useSync();
  const r = () => props.item;
  const editor = createDisclosure();
  const [expanded, setExpanded] = createSignal(false);
  const long = () => r().content.length > PREVIEW;
  const flip = (field: "pinned" | "archived", verb: string) =>
    void updateReference(store, r(), { [field]: !r()[field] }, `${verb} “${r().title}”`);

  return (
    <li
      class="card stack reference-row"
      data-testid="reference-row"
      data-reference-id={r().id}
      data-pinned={r().pinned ? "" : undefined}
      data-archived={r().archived ? "" : undefined}
      data-index={props.index}
      aria-posinset={props.index + 1}
      aria-setsize={props.size}
    >
      <Show
        when={!editor.isOpen()}
        fallback={
          <ReferenceForm existing={r()} audio={props.allAudio} categories={props.categories} onDone={editor.close} />
        }
      >
        <div class="item">
          <div class="item-main">
            <h2 class="item-title">
              <Show when={r().pinned}>
                <span class="badge pinned">Pinned</span>{" "}
              </Show>
              {r().title}
              <Show when={r().archived}>
                <span class="badge">Archived</span>
              </Show>
            </h2>
            <Show when={r().url}>
              <a class="small ref-url" href={r().url!} target="_blank" rel="noopener noreferrer">
                {r().url}
              </a>
            </Show>
            <Show when={r().content}>
              <p class="item-desc">{long() && !expanded() ? `${r().content.slice(0, PREVIEW)}…` : r().content}</p>
              <Show when={long()}>
                <div>
                  <button type="button" class="ghost small" onClick={() => setExpanded(!expanded())}>
                    {expanded() ? "Show less" : "Show all"}
                    <span class="sr-only"> of “{r().title}”</span>
                  </button>
                </div>
              </Show>
            </Show>
            <div class="item-meta">
              <Show when={r().category}>
                <button type="button" class="tag category" onClick={() => props.onCategory(r().category!)}>
                  {r().category}
                  <span class="sr-only"> — show only this category</span>
                </button>
              </Show>
              <TagList tags={r().tags} onTag={props.onTag} />
              <time class="muted small" datetime={r().updated_at}>
                {relative(r().updated_at)}
              </time>
            </div>
          </div>
          <div class="item-actions wrap">
            <button
              type="button"
              class="ghost"
              aria-pressed={r().pinned}
              onClick={() => flip("pinned", r().pinned ? "Unpin" : "Pin")}
            >
              Pin<span class="sr-only"> “{r().title}”</span>
            </button>
            <button
              type="button"
              class="ghost"
              onClick={() => flip("archived", r().archived ? "Unarchive" : "Archive")}
            >
              {r().archived ? "Unarchive" : "Archive"}
              <span class="sr-only"> “{r().title}”</span>
            </button>
            <button type="button" class="ghost" ref={editor.opener} onClick={editor.open}>
              Edit<span class="sr-only"> “{r().title}”</span>
            </button>
            <VersionsButton entity="reference" id={r().id} title={r().title} />
            <ConfirmDelete
              what={`“${r().title}”`}
              onConfirm={() => {
                void deleteReference(store, r());
                document.getElementById("references-title")?.focus();
              }}
            />
          </div>
        </div>
        <Show when={r().audio_id}>
          <AudioPlayer
            src={`/api/audio/${encodeURIComponent(r().audio_id!)}`}
            title={`Recording for “${r().title}”`}
            durationS={props.audio?.duration_s}
          />
        </Show>
      </Show>
    </li>
  );
}
