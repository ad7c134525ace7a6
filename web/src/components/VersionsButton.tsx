// "Versions" on a reference or an inbox item: the button, and the dialog it
// opens (Versions.tsx, a chunk loaded on the first click). Focus goes back to
// the button when the dialog closes.
import { createSignal, lazy, Show } from "solid-js";
import type { RestorableEntity } from "@protocol/history.ts";

const Versions = lazy(() => import("./Versions.tsx"));

export function VersionsButton(props: { entity: RestorableEntity; id: string; title: string }) {
  const [open, setOpen] = createSignal(false);
  let button: HTMLButtonElement | undefined;
  return (
    <>
      <button type="button" class="ghost" ref={(el) => (button = el)} onClick={() => setOpen(true)}>
        Versions<span class="sr-only"> of “{props.title}”</span>
      </button>
      <Show when={open()}>
        <Versions
          entity={props.entity}
          id={props.id}
          title={props.title}
          onClose={() => {
            setOpen(false);
            button?.focus();
          }}
        />
      </Show>
    </>
  );
}
