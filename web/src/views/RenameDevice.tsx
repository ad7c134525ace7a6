// "Name this device": an inline form on a Devices row, so identical
// "Chrome on Linux" sessions can be told apart ("Work laptop", "Kitchen iPad").
import { createSignal, Show } from "solid-js";
import { describeError } from "../api/http.ts";
import { renameDevice } from "../mutations/sessions.ts";
import type { DeviceSession } from "../api/types.ts";
import { createDisclosure } from "../ui/a11y.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";

const MAX = 60;

export function RenameDevice(props: { device: DeviceSession; onRenamed: (name: string | null) => void }) {
  const editor = createDisclosure();
  const [error, setError] = createSignal("");
  const fieldId = `device-name-${props.device.id}`;
  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    const value = String(new FormData(e.currentTarget as HTMLFormElement).get("name") ?? "").trim();
    const name = value || null;
    try {
      await renameDevice(props.device.id, name);
      props.onRenamed(name);
      editor.close();
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <Show
      when={editor.isOpen()}
      fallback={
        <button type="button" class="ghost small link-like" ref={editor.opener} onClick={editor.open}>
          {props.device.device_name ? "Rename" : "Name this device"}
          <span class="sr-only"> ({props.device.device_name ?? "unnamed"})</span>
        </button>
      }
    >
      <form class="row wrap" onSubmit={(e) => void save(e)} onKeyDown={(e) => e.key === "Escape" && editor.close()}>
        <label for={fieldId} class="sr-only">
          Device name
        </label>
        <input
          id={fieldId}
          name="name"
          maxlength={MAX}
          placeholder="e.g. Work laptop"
          value={props.device.device_name ?? ""}
          ref={(el) => queueMicrotask(() => el.focus())}
        />
        <button type="submit">Save</button>
        <button type="button" class="ghost" onClick={editor.close}>
          Cancel
        </button>
        <ErrorAlert message={error()} />
      </form>
    </Show>
  );
}
