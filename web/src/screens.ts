// Every screen of the app, in nav order. The top bar (desktop), the bottom bar
// and its "More" sheet (phone) and the router all read this one list: a new
// screen is one entry here.
import { lazy, type Component } from "solid-js";
import type { ScreenProps } from "./ui/screen-props.ts";

export interface Screen {
  /** The hash route: `#/<id>` (a screen may read more segments itself). */
  id: string;
  label: string;
  component: Component<ScreenProps>;
  /** Phones: on the bottom bar (at most four, the most used) — the rest sit in "More". */
  bar?: boolean;
  /** 24×24 outline icon (one SVG path) for the bottom bar. */
  icon?: string;
}

const named = <K extends string>(load: () => Promise<Record<K, Component<ScreenProps>>>, name: K) =>
  lazy(async () => ({ default: (await load())[name] }));

/** The landing screen's chunk, requested as this module loads: in parallel with the session check, not after it. */
const inbox = import("./views/Inbox.tsx");

export const SCREENS: Screen[] = [
  {
    id: "inbox",
    label: "Inbox",
    // Lazy too, to keep the initial bundle in budget; its request starts at once (above).
    component: named(() => inbox, "Inbox"),
    bar: true,
    icon: "M4 13h4l2 3h4l2-3h4M5 5h14l1 8v6H4v-6z",
  },
  {
    id: "focus",
    label: "Focus",
    // Lazy like every screen but the landing one (the service worker precaches them all).
    component: named(() => import("./views/Focus.tsx"), "Focus"),
    bar: true,
    icon: "M12 7v5l3 2M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z",
  },
  {
    id: "libraries",
    label: "Libraries",
    component: lazy(() => import("./views/libraries/index.tsx")),
    bar: true,
    icon: "M9 18V5l11-2v13M9 18a3 3 0 1 1-6 0 3 3 0 0 1 6 0zm11-2a3 3 0 1 1-6 0 3 3 0 0 1 6 0z",
  },
  {
    id: "references",
    label: "References",
    component: lazy(() => import("./views/references/index.tsx")),
    bar: true,
    icon: "M6 3h12v18l-6-4-6 4z",
  },
  { id: "search", label: "Search", component: named(() => import("./views/Search.tsx"), "Search") },
  { id: "market", label: "Market", component: lazy(() => import("./views/market/Market.tsx")) },
  { id: "audio", label: "Audio", component: lazy(() => import("./views/AudioFiles.tsx")) },
  { id: "studio", label: "Studio", component: lazy(() => import("./views/studio/Studio.tsx")) },
  { id: "assistant", label: "Assistant", component: lazy(() => import("./views/assistant/Assistant.tsx")) },
  // Deleted records, restorable for 30 days (needs the network, like Devices).
  { id: "trash", label: "Trash", component: lazy(() => import("./views/Trash.tsx")) },
  { id: "settings", label: "Settings", component: named(() => import("./views/Settings.tsx"), "Settings") },
  // Device sessions live on the server only (nothing to show offline anyway).
  { id: "devices", label: "Devices", component: lazy(() => import("./views/Devices.tsx")) },
];

export function screenFromHash(hash: string): Screen {
  // "#/libraries/<id>": the screen is the first segment.
  const id = hash.replace(/^#\/?/, "").split("/")[0];
  return SCREENS.find((s) => s.id === id) ?? SCREENS[0]!;
}
