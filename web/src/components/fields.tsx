// The pieces every form repeats: a labelled field, the tags input, and the
// submit/cancel pair of an inline editor.
import { LIMITS } from "@protocol/rules.ts";
import { For, type JSX } from "solid-js";

/**
 * A label and its control (plus anything that belongs to it, like a hint); `for` is the control's id.
 * `inline` puts the label beside the control (toolbars), `grow` lets it take the row's free space.
 */
export function Field(props: {
  for: string;
  label: JSX.Element;
  inline?: boolean;
  grow?: boolean;
  children: JSX.Element;
}) {
  const classes = () => ["field", props.inline && "inline", props.grow && "grow"].filter(Boolean).join(" ");
  return (
    <div class={classes()}>
      <label for={props.for}>{props.label}</label>
      {props.children}
    </div>
  );
}

/** A labelled search box whose text is a signal (filters as the user types). */
export function SearchField(props: {
  id: string;
  label: string;
  placeholder: string;
  value: string;
  onInput: (value: string) => void;
  inline?: boolean;
  autocomplete?: "off";
}) {
  return (
    <Field for={props.id} label={props.label} inline={props.inline} grow>
      <input
        id={props.id}
        type="search"
        placeholder={props.placeholder}
        autocomplete={props.autocomplete}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </Field>
  );
}

/** Tags as "#a #b" text; parse the submitted value with ui/capture.ts parseTagList. */
export function TagsField(props: { id: string; name: string; tags: readonly string[] }) {
  const hint = () => `${props.id}-hint`;
  return (
    <Field for={props.id} label="Tags">
      <input
        id={props.id}
        name={props.name}
        aria-describedby={hint()}
        value={props.tags.map((t) => `#${t}`).join(" ")}
      />
      <p id={hint()} class="hint">
        Separate with spaces or commas, up to {LIMITS.tagsPerRecord}.
      </p>
    </Field>
  );
}

/** One radio button per option ([value, text] or [value, text, hint]); wrap them in the fieldset that names the group. */
export function Radios<V extends string>(props: {
  name: string;
  options: readonly (readonly [V, string] | readonly [V, string, string])[];
  value: V;
  onChange: (value: V) => void;
}) {
  return (
    <For each={props.options}>
      {([value, text, hint]) => (
        <label class={hint ? "choice block" : "choice"}>
          <input
            type="radio"
            name={props.name}
            value={value}
            checked={props.value === value}
            onChange={() => props.onChange(value)}
          />
          {hint ? (
            <span>
              {text}
              <span class="hint block">{hint}</span>
            </span>
          ) : (
            text
          )}
        </label>
      )}
    </For>
  );
}

/** Submit and Cancel, side by side (wrap them in a `.row` where the form doesn't lay out in one). */
export function FormButtons(props: { submit: string; onCancel: () => void }) {
  return (
    <>
      <button type="submit" class="primary">
        {props.submit}
      </button>
      <button type="button" class="ghost" onClick={() => props.onCancel()}>
        Cancel
      </button>
    </>
  );
}
