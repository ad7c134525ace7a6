// #/studio: the loop studio — own loops (#/studio), the public feed
// (#/studio/feed) and songs (#/studio/songs). Loaded lazily: the audio engine
// and these views stay out of the initial bundle.
import { createSignal, Match, onCleanup, onMount, Show, Switch } from "solid-js";
import type { User } from "../../api/types.ts";
import { focusHeadingAfterNav } from "../../ui/a11y.ts";
import { dropFirstScreen } from "../../ui/first-screen.ts";
import { Feed } from "./Feed.tsx";
import { Loops } from "./Loops.tsx";
import { createPlayer, PlayerContext } from "./player.ts";
import { Songs } from "./Songs.tsx";
import "./studio.css";

type Panel = "loops" | "feed" | "songs";
const PANELS: Array<[Panel, string, string]> = [
  ["loops", "My loops", "#/studio"],
  ["feed", "Feed", "#/studio/feed"],
  ["songs", "Songs", "#/studio/songs"],
];
const readPanel = (): Panel => {
  const sub = location.hash.replace(/^#\/?/, "").split("/")[1];
  return sub === "feed" || sub === "songs" ? sub : "loops";
};

export default function Studio(props: { user: User }) {
  const [panel, setPanel] = createSignal(readPanel());
  const onHash = () => setPanel(readPanel());
  window.addEventListener("hashchange", onHash);
  onCleanup(() => window.removeEventListener("hashchange", onHash));
  onMount(() => {
    dropFirstScreen(); // not a <Screen>: the warm start's copy of the last screen goes here
    focusHeadingAfterNav("studio-title");
  });
  const player = createPlayer();

  return (
    <PlayerContext.Provider value={player}>
      <section aria-labelledby="studio-title" class="stack studio">
        <header class="view-head">
          <h1 id="studio-title" tabindex="-1">
            Studio
          </h1>
          {/* Only while something plays: an idle meter is an empty bar that looks broken. */}
          <Show when={player.playing()}>
            <label class="studio-level small">
              Level
              <meter class="studio-meter" data-testid="output-level" min={0} max={1} value={player.level()} />
            </label>
          </Show>
        </header>
        <nav aria-label="Studio">
          <ul role="list" class="studio-tabs">
            {PANELS.map(([p, text, href]) => (
              <li>
                <a href={href} aria-current={panel() === p ? "page" : undefined}>
                  {text}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <Switch>
          <Match when={panel() === "loops"}>
            <Loops user={props.user} />
          </Match>
          <Match when={panel() === "feed"}>
            <Feed user={props.user} />
          </Match>
          <Match when={panel() === "songs"}>
            <Songs />
          </Match>
        </Switch>
      </section>
    </PlayerContext.Provider>
  );
}
