import { createSignal, Show } from "solid-js";

/** Delete behind a second, explicit click (keyboard friendly, no modal). */
export function ConfirmDelete(props: { what: string; detail?: string; onConfirm: () => void; label?: string }) {
  const [asking, setAsking] = createSignal(false);
  let opener: HTMLButtonElement | undefined;
  const cancel = () => {
    setAsking(false);
    queueMicrotask(() => opener?.focus());
  };
  return (
    <Show
      when={asking()}
      fallback={
        <button type="button" class="ghost danger" ref={(el) => (opener = el)} onClick={() => setAsking(true)}>
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
            setAsking(false);
            // Still here (e.g. the delete was refused): back to the Delete button.
            queueMicrotask(() => {
              if (document.activeElement === document.body && opener?.isConnected) opener.focus();
            });
          }}
          onKeyDown={(e) => e.key === "Escape" && cancel()}
        >
          Yes, delete
        </button>
        <button type="button" class="ghost" onClick={cancel}>
          Cancel
        </button>
      </span>
    </Show>
  );
}
