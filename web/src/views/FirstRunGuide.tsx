// The first-run guide: five short steps across the app, shown at the top of
// the Inbox until the user finishes or skips it. Not modal (nothing is locked
// behind it); the choice is kept in settings.ui.guide_done, so it follows the
// account to every device.
import { createSignal, Show } from "solid-js";
import type { Settings } from "../api/types.ts";
import { SHORTCUT } from "../components/Omnibar.tsx";
import { updateSettings } from "../mutations/settings.ts";
import { useSync } from "../ui/sync-context.ts";

const STEPS: Array<{ title: string; text: string; href?: string; go?: string }> = [
  {
    title: "Capture anything",
    text: `Type in the box at the top (${SHORTCUT} from anywhere) and press Enter. Words like #errands become tags. Tick items off here when they're done.`,
  },
  {
    title: "Focus, and earn coins",
    text: "Start a session on Focus. The countdown shows in the tab title on every screen, and you get a notification when it ends. Each focused minute earns a coin.",
    href: "#/focus",
    go: "Open Focus",
  },
  {
    title: "Spend them in the Market",
    text: "You start with 100 coins. Buy accent colours, soundscapes for your sessions, or rewards you define yourself.",
    href: "#/market",
    go: "Open the Market",
  },
  {
    title: "Music, notes and an assistant",
    text: "Libraries hold soundtracks for Focus, Studio makes loops to share, References keeps links and notes, and the Assistant manages todos for you.",
    href: "#/studio",
    go: "Open the Studio",
  },
  {
    title: "Everywhere, even offline",
    text: "Sign in on your phone too: changes arrive live. Offline, keep working; the status at the top says what is waiting to sync. Name your devices under Devices.",
    href: "#/devices",
    go: "Open Devices",
  },
];

export function FirstRunGuide(props: { settings: Settings }) {
  const store = useSync();
  const [step, setStep] = createSignal(0);
  const [closed, setClosed] = createSignal(false);
  // Wait for the real settings record: the defaults would flash the guide at someone who finished it.
  const open = () => !closed() && props.settings.version > 0 && props.settings.ui.guide_done !== true;
  const finish = () => {
    setClosed(true);
    void updateSettings(store, props.settings, { ui: { guide_done: true } }, "Welcome tour");
    document.getElementById("inbox-title")?.focus();
  };
  const current = () => STEPS[step()]!;
  return (
    <Show when={open()}>
      <section class="card guide stack" aria-labelledby="guide-title" data-testid="first-run-guide">
        <p class="small muted">
          Welcome to Continuum · step {step() + 1} of {STEPS.length}
        </p>
        <h2 id="guide-title">{current().title}</h2>
        <p>{current().text}</p>
        <div class="row wrap">
          <Show when={step() > 0}>
            <button type="button" class="ghost" onClick={() => setStep(step() - 1)}>
              Back
            </button>
          </Show>
          <Show
            when={step() < STEPS.length - 1}
            fallback={
              <button type="button" class="primary" onClick={finish}>
                Done
              </button>
            }
          >
            <button type="button" class="primary" onClick={() => setStep(step() + 1)}>
              Next
            </button>
          </Show>
          <Show when={current().href}>
            <a href={current().href}>{current().go}</a>
          </Show>
          <button type="button" class="ghost guide-skip" onClick={finish}>
            Skip the tour
          </button>
        </div>
      </section>
    </Show>
  );
}
