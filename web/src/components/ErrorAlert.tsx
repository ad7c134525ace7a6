// The error line a view shows only while there is one: an alert, so a screen
// reader announces it when it appears. `inline` is the small form used inside a
// control row (the audio player), the default a paragraph under a form.
import { Show } from "solid-js";

export function ErrorAlert(props: { message: string; inline?: boolean }) {
  return (
    <Show when={props.message}>
      {(message) =>
        props.inline ? (
          <span class="field-error small" role="alert">
            {message()}
          </span>
        ) : (
          <p class="form-error" role="alert">
            {message()}
          </p>
        )
      }
    </Show>
  );
}
