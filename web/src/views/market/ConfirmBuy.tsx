// The purchase confirmation: a modal dialog in the middle of the screen, away
// from the Buy button that opened it, so a double click or repeated taps can
// never land on another item. It names the item, the price and the balance
// after, and focus returns to the Buy button when it closes.
import { createEffect, Show } from "solid-js";
import type { MarketItem } from "../../api/types.ts";
import "../../components/modal.css";

export function ConfirmBuy(props: {
  item: MarketItem | null;
  balance: number | undefined;
  onConfirm: (item: MarketItem) => void;
  onClose: () => void;
}) {
  let dialog: HTMLDialogElement | undefined;
  let opener: Element | null = null;
  createEffect(() => {
    if (props.item && dialog && !dialog.open) {
      opener = document.activeElement;
      dialog.showModal();
    } else if (!props.item && dialog?.open) dialog.close();
  });
  const closed = () => {
    props.onClose();
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  };
  return (
    <dialog
      class="modal"
      aria-labelledby="confirm-buy-title"
      aria-describedby="confirm-buy-detail"
      ref={(el) => (dialog = el)}
      onClose={closed}
      data-testid="confirm-buy"
    >
      <Show when={props.item}>
        {(item) => (
          <form
            method="dialog"
            class="modal-body"
            onSubmit={(e) => {
              e.preventDefault();
              props.onConfirm(item());
              dialog?.close();
            }}
          >
            <h2 id="confirm-buy-title">Buy {item().name}?</h2>
            <p id="confirm-buy-detail">
              It costs {item().price} coins.
              <Show when={props.balance !== undefined}>
                {" "}
                Your balance goes from {props.balance} to {props.balance! - item().price} coins.
              </Show>{" "}
              You can refund it from your inventory within 24 hours.
            </p>
            <div class="row">
              <button type="submit">Buy for {item().price} coins</button>
              <button type="button" class="ghost" onClick={() => dialog?.close()}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </Show>
    </dialog>
  );
}
