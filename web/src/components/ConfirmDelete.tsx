import { Show, type JSX } from "solid-js";
import { createDisclosure } from "../ui/a11y.ts";

/**
 * An action behind a second, explicit click (keyboard friendly, no modal):
 * the button opens the question in place, with Yes (focused) and a way back.
 */
export function ConfirmAction(props: {
  /** The first button's content. */
  opener: JSX.Element;
  /** What the question's group is called for screen readers, after "Confirm: ". */
  group: string;
  question: JSX.Element;
  yes: string;
  no?: string;
  onConfirm: () => void;
}) {
  const asking = createDisclosure();
  return (
    <Show
      when={asking.isOpen()}
      fallback={
        <button type="button" class="ghost danger" ref={asking.opener} onClick={asking.open}>
          {props.opener}
        </button>
      }
    >
      <span class="confirm row wrap" role="group" aria-label={`Confirm: ${props.group}`}>
        <span class="small">{props.question}</span>
        <button
          type="button"
          class="danger"
          ref={(el) => queueMicrotask(() => el.focus())}
          onClick={() => {
            props.onConfirm();
            // Still here (e.g. the action was refused): back to the first button.
            asking.closeAfterAction();
          }}
          onKeyDown={(e) => e.key === "Escape" && asking.close()}
        >
          {props.yes}
        </button>
        <button type="button" class="ghost" onClick={asking.close}>
          {props.no ?? "Cancel"}
        </button>
      </span>
    </Show>
  );
}

/** Delete behind a second, explicit click. */
export function ConfirmDelete(props: { what: string; detail?: string; onConfirm: () => void; label?: string }) {
  return (
    <ConfirmAction
      opener={
        <>
          {props.label ?? "Delete"}
          <span class="sr-only"> {props.what}</span>
        </>
      }
      group={`delete ${props.what}`}
      question={
        <>
          Delete {props.what}
          {props.detail ? ` ${props.detail}` : ""}?
        </>
      }
      yes="Yes, delete"
      onConfirm={props.onConfirm}
    />
  );
}
