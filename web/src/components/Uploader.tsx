// Drop zone + file input + one progress row per file. The upload logic is in
// ui/upload.ts; this only shows it. A queue can outlive the component (the
// Audio screen keeps one at module level, so leaving the screen doesn't lose
// track of uploads still running).
import { createSignal, For, onCleanup, Show, type Accessor } from "solid-js";
import type { Audio } from "../api/types.ts";
import { percent } from "../ui/format.ts";
import { AudioUpload, describeUploadError, formatBytes, UploadAborted } from "../ui/upload.ts";
import { useStatus, useSync } from "../ui/sync-context.ts";
import "./media.css";

export type UploadStatus = "uploading" | "done" | "failed" | "cancelled";

export interface UploadItem {
  key: string;
  upload: AudioUpload;
  loaded: Accessor<number>;
  status: Accessor<UploadStatus>;
  error: Accessor<string>;
  audio: Accessor<Audio | null>;
  /** Called once the file is stored (not for a retry's replay of the same result twice). */
  onUploaded?: (audio: Audio) => void;
}

export interface UploadQueue {
  items: Accessor<readonly UploadItem[]>;
  add(files: File[], onUploaded?: (audio: Audio) => void, afterEach?: () => void): void;
  retry(item: UploadItem, afterEach?: () => void): void;
  cancel(item: UploadItem): void;
  dismiss(item: UploadItem): void;
}

export function createUploadQueue(): UploadQueue {
  const [items, setItems] = createSignal<readonly UploadItem[]>([]);

  const run = (item: UploadItem & { set: Setters }, afterEach?: () => void) => {
    item.set.status("uploading");
    item.set.error("");
    item.upload.start().then(
      (audio) => {
        item.set.audio(audio);
        item.set.status("done");
        item.onUploaded?.(audio);
        afterEach?.();
      },
      (err: unknown) => {
        item.set.status(err instanceof UploadAborted ? "cancelled" : "failed");
        item.set.error(describeUploadError(err, item.upload.file.name));
      },
    );
  };

  return {
    items,
    add(files, onUploaded, afterEach) {
      const added = files.map((file) => {
        const [loaded, setLoaded] = createSignal(0);
        const [status, setStatus] = createSignal<UploadStatus>("uploading");
        const [error, setError] = createSignal("");
        const [audio, setAudio] = createSignal<Audio | null>(null);
        const upload = new AudioUpload(file, { onProgress: (p) => setLoaded(p.loaded) });
        return {
          key: upload.id,
          upload,
          loaded,
          status,
          error,
          audio,
          onUploaded,
          set: { status: setStatus, error: setError, audio: setAudio },
        };
      });
      setItems((list) => [...added, ...list]);
      for (const item of added) run(item, afterEach);
    },
    retry(item, afterEach) {
      run(item as UploadItem & { set: Setters }, afterEach);
    },
    cancel(item) {
      item.upload.cancel();
    },
    dismiss(item) {
      if (item.status() === "uploading") item.upload.cancel();
      setItems((list) => list.filter((i) => i !== item));
    },
  };
}

interface Setters {
  status: (s: UploadStatus) => void;
  error: (s: string) => void;
  audio: (a: Audio) => void;
}

/** navigator.onLine plus the sync client's view (a reachable server). */
function useOnline(): Accessor<boolean> {
  const status = useStatus();
  const [nav, setNav] = createSignal(navigator.onLine);
  const update = () => setNav(navigator.onLine);
  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  onCleanup(() => {
    window.removeEventListener("online", update);
    window.removeEventListener("offline", update);
  });
  return () => nav() && status().mode !== "offline";
}

export function Uploader(props: {
  /** Unique per page: the file input's id. */
  id: string;
  queue?: UploadQueue;
  /** The file input's label. */
  label?: string;
  multiple?: boolean;
  onUploaded?: (audio: Audio) => void;
}) {
  const store = useSync();
  const queue = props.queue ?? createUploadQueue();
  const online = useOnline();
  const [dragging, setDragging] = createSignal(false);
  let depth = 0;

  const take = (list: FileList | null | undefined) => {
    const files = [...(list ?? [])];
    if (!files.length || !online()) return;
    // The socket usually delivers the new record first; a pull makes sure.
    queue.add(props.multiple === false ? files.slice(0, 1) : files, props.onUploaded, () => store.pullNow());
  };

  return (
    <div class="uploader stack">
      <div
        class="dropzone"
        data-dragging={dragging() ? "" : undefined}
        data-disabled={online() ? undefined : ""}
        data-testid="dropzone"
        onDragEnter={(e) => {
          e.preventDefault();
          depth++;
          setDragging(true);
        }}
        onDragOver={(e) => {
          e.preventDefault();
          if (e.dataTransfer) e.dataTransfer.dropEffect = online() ? "copy" : "none";
        }}
        onDragLeave={() => {
          depth = Math.max(0, depth - 1);
          if (!depth) setDragging(false);
        }}
        onDrop={(e) => {
          e.preventDefault();
          depth = 0;
          setDragging(false);
          take(e.dataTransfer?.files);
        }}
      >
        <input
          id={props.id}
          class="file-input"
          type="file"
          accept="audio/*,.mp3,.wav,.ogg,.opus,.flac,.m4a,.aac,.webm"
          multiple={props.multiple !== false}
          disabled={!online()}
          aria-describedby={`${props.id}-hint`}
          onChange={(e) => {
            take(e.currentTarget.files);
            e.currentTarget.value = "";
          }}
        />
        <label for={props.id} class="file-label">
          {props.label ?? "Choose audio files"}
        </label>
        <p id={`${props.id}-hint`} class="hint">
          <Show
            when={online()}
            fallback={
              <span class="offline-note" role="status">
                You're offline. Uploads need a connection — unlike other changes, they aren't queued.
              </span>
            }
          >
            …or drop {props.multiple === false ? "a file" : "files"} here. MP3, WAV, OGG/Opus, FLAC, M4A/AAC or WebM;
            files over 100 MB go up in parts.
          </Show>
        </p>
      </div>
      <Show when={queue.items().length}>
        <ul class="uploads list" role="list" aria-label="Uploads">
          <For each={queue.items()}>{(item) => <UploadRow item={item} queue={queue} online={online()} />}</For>
        </ul>
      </Show>
    </div>
  );
}

function UploadRow(props: { item: UploadItem; queue: UploadQueue; online: boolean }) {
  const store = useSync();
  const it = () => props.item;
  const name = () => it().upload.file.name;
  const pct = () => (it().upload.total ? Math.floor((it().loaded() / it().upload.total) * 100) : 100);
  const statusText = () => {
    switch (it().status()) {
      case "uploading":
        return it().loaded() >= it().upload.total ? "Storing…" : "Uploading…";
      case "done":
        return "Uploaded";
      case "cancelled":
        return "Cancelled";
      default:
        return "Failed:";
    }
  };

  return (
    <li class="upload-row card" data-status={it().status()} data-testid="upload-row">
      <div class="upload-head">
        <span class="upload-name">{name()}</span>
        <span class="muted small">
          {formatBytes(it().loaded())} of {formatBytes(it().upload.total)}
          {it().upload.multipart ? " · in parts" : ""}
        </span>
      </div>
      <div
        class="progress"
        role="progressbar"
        aria-label={`Upload of ${name()}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct()}
        aria-valuetext={`${percent(pct() / 100)} (${formatBytes(it().loaded())} of ${formatBytes(it().upload.total)})`}
      >
        <div class="progress-fill" style={{ transform: `scaleX(${pct() / 100})` }} />
      </div>
      <div class="upload-foot">
        <p class="small upload-status">
          {/* Live, but only the state word: not every percent is announced. */}
          <span aria-live="polite" data-testid="upload-status">
            {statusText()}
          </span>
          <Show when={it().status() === "uploading" && it().loaded() < it().upload.total}>
            {" "}
            <span class="muted">{percent(pct() / 100)}</span>
          </Show>
          <Show when={it().error() && it().status() === "failed"}>
            {" "}
            <span class="field-error" role="alert">
              {it().error()}
            </span>
          </Show>
        </p>
        <div class="row">
          <Show when={it().status() === "uploading"}>
            <button type="button" class="ghost" onClick={() => props.queue.cancel(it())}>
              Cancel<span class="sr-only"> upload of {name()}</span>
            </button>
          </Show>
          <Show when={it().status() === "failed" || it().status() === "cancelled"}>
            <button
              type="button"
              disabled={!props.online}
              onClick={() => props.queue.retry(it(), () => store.pullNow())}
            >
              Retry<span class="sr-only"> upload of {name()}</span>
            </button>
          </Show>
          <Show when={it().status() !== "uploading"}>
            <button type="button" class="ghost" onClick={() => props.queue.dismiss(it())}>
              Dismiss<span class="sr-only"> {name()}</span>
            </button>
          </Show>
        </div>
      </div>
    </li>
  );
}
