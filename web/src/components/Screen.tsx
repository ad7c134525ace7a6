import { onMount, type JSX } from "solid-js";
import { dropFirstScreen } from "../ui/first-screen.ts";

/**
 * A screen: its region, labelled by the h1 that navigation focuses (App.tsx,
 * ui/a11y.ts focusHeadingAfterNav), with room for actions beside the title.
 */
export function Screen(props: {
  id: string;
  title: JSX.Element;
  actions?: JSX.Element;
  /** Extra classes for the screen's own styles, beside the layout's "stack". */
  class?: string;
  children: JSX.Element;
}) {
  // A warm start's copy of the last screen (index.html) gives way to the live one.
  onMount(dropFirstScreen);
  return (
    <section aria-labelledby={props.id} class={props.class ? `stack ${props.class}` : "stack"}>
      <header class="view-head">
        <h1 id={props.id} tabindex="-1">
          {props.title}
        </h1>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}
