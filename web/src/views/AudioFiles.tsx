// #/audio: upload audio (progress, cancel, retry) and manage the files.
import { createMemo, createSignal, For, onMount, Show } from "solid-js";
import type { Audio } from "../api/types.ts";
import { AudioPlayer } from "../components/AudioPlayer.tsx";
import { ConfirmDelete } from "../components/ConfirmDelete.tsx";
import { createUploadQueue, Uploader } from "../components/Uploader.tsx";
import { audioUsage, deleteAudio } from "../mutations/audio.ts";
import { clock, count, relative } from "../ui/format.ts";
import { formatBytes } from "../ui/upload.ts";
import { focusHeadingAfterNav } from "../ui/a11y.ts";
import { useRecords, useSync } from "../ui/sync-context.ts";
import { Screen } from "../components/Screen.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";

/** Kept across visits to this screen, so running uploads stay visible. */
const queue = createUploadQueue();

export default function AudioFiles() {
  const audio = useRecords("audio");
  const sorted = createMemo(() => [...audio()].sort((a, b) => b.created_at.localeCompare(a.created_at)));
  const used = createMemo(() => audio().reduce((n, a) => n + a.size, 0));
  onMount(() => focusHeadingAfterNav("audio-title"));

  return (
    <Screen
      id="audio-title"
      title="Audio"
      actions={
        <p class="muted small">
          {count(audio().length)} {audio().length === 1 ? "file" : "files"} · {formatBytes(used())} stored
        </p>
      }
    >
      <section aria-labelledby="upload-title" class="card stack">
        <h2 id="upload-title">Upload</h2>
        <Uploader id="audio-upload" queue={queue} />
      </section>
      <section aria-labelledby="files-title" class="stack">
        <h2 id="files-title">Your files</h2>
        <Show when={sorted().length} fallback={<p class="muted">Uploaded files show up here, on every device.</p>}>
          <ul class="list" role="list" aria-label="Audio files" data-testid="audio-list">
            <For each={sorted()}>{(a) => <AudioRow audio={a} />}</For>
          </ul>
        </Show>
      </section>
    </Screen>
  );
}

function AudioRow(props: { audio: Audio }) {
  const store = useSync();
  const tracks = useRecords("focus_track");
  const references = useRecords("reference");
  const [blocked, setBlocked] = createSignal("");
  const a = () => props.audio;

  const remove = () => {
    // The server refuses (409 audio_in_use) while tracks or references use the file;
    // say so here instead of letting the row vanish and come back.
    const u = audioUsage(a().id, tracks(), references());
    if (u.tracks || u.references) {
      const parts = [
        u.tracks ? `${u.tracks} ${u.tracks === 1 ? "track" : "tracks"}` : "",
        u.references ? `${u.references} ${u.references === 1 ? "reference" : "references"}` : "",
      ].filter(Boolean);
      setBlocked(`Can't delete: “${a().filename}” is used by ${parts.join(" and ")}. Remove it from them first.`);
      return;
    }
    setBlocked("");
    void deleteAudio(store, a());
    document.getElementById("audio-title")?.focus();
  };

  return (
    <li class="card stack audio-row" data-testid="audio-row" data-audio-id={a().id}>
      <div class="item">
        <div class="item-main">
          <h3 class="item-title">{a().filename}</h3>
          <p class="muted small">
            {a().format.toUpperCase()} · {formatBytes(a().size)}
            {a().duration_s != null ? ` · ${clock(a().duration_s!)}` : ""} ·{" "}
            <time datetime={a().created_at}>{relative(a().created_at)}</time>
          </p>
        </div>
        <div class="item-actions">
          <a class="button-link ghost" href={`/api/audio/${a().id}`} download={a().filename}>
            Download<span class="sr-only"> {a().filename}</span>
          </a>
          <ConfirmDelete what={`“${a().filename}”`} onConfirm={remove} />
        </div>
      </div>
      <ErrorAlert message={blocked()} />
      <AudioPlayer src={`/api/audio/${encodeURIComponent(a().id)}`} title={a().filename} durationS={a().duration_s} />
    </li>
  );
}
