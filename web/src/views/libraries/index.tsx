// #/libraries: focus libraries (favorites first) and, at #/libraries/<id>,
// one library's tracks in play order. Every change is a sync mutation
// (mutations/libraries.ts). List.tsx, Detail.tsx and Form.tsx hold the parts.
import { createSignal, onCleanup, onMount, Show } from "solid-js";
import { focusHeadingAfterNav } from "../../ui/a11y.ts";
import { LibraryDetail } from "./Detail.tsx";
import { LibraryList } from "./List.tsx";

/** The library id in `#/libraries/<id>`, if any. */
const readSubPath = () => location.hash.replace(/^#\/?/, "").split("/")[1] ?? "";

function useSubPath() {
  const read = readSubPath;
  const [sub, setSub] = createSignal(read());
  const update = () => setSub(read());
  window.addEventListener("hashchange", update);
  onCleanup(() => window.removeEventListener("hashchange", update));
  return sub;
}

export default function Libraries() {
  const sub = useSubPath();
  onMount(() => focusHeadingAfterNav(sub() ? "library-title" : "libraries-title"));
  return (
    <Show when={sub()} keyed fallback={<LibraryList />}>
      {(id) => <LibraryDetail id={id} />}
    </Show>
  );
}
