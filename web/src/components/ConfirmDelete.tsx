import { Show } from "solid-js";
import { createDisclosure } from "../ui/a11y.ts";

/** Delete behind a second, explicit click (keyboard friendly, no modal). */
export function ConfirmDelete(props: { what: string; detail?: string; onConfirm: () => void; label?: string }) {
  const asking = createDisclosure();
  return (
    <Show
      when={asking.isOpen()}
      fallback={
        <button type="button" class="ghost danger" ref={asking.opener} onClick={asking.open}>
          {props.label ?? "Delete"}
          <span class="sr-only"> {props.what}</span>
        </button>
      }
    >
      <span class="confirm row wrap" role="group" aria-label={`Confirm: delete ${props.what}`}>
        <span class="small">
          Delete {props.what}
          {props.detail ? ` ${props.detail}` : ""}?
        </span>
        <button
          type="button"
          class="danger"
          ref={(el) => queueMicrotask(() => el.focus())}
          onClick={() => {
            props.onConfirm();
            // Still here (e.g. the delete was refused): back to the Delete button.
            asking.closeAfterAction();
          }}
          onKeyDown={(e) => e.key === "Escape" && asking.close()}
        >
          Yes, delete
        </button>
        <button type="button" class="ghost" onClick={asking.close}>
          Cancel
        </button>
      </span>
    </Show>
  );
}
