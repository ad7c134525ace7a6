// What App hands every screen (most use none of it): its own module, so a
// screen needn't import the list of screens that lazily imports it.
import type { Settings, User } from "../api/types.ts";

export interface ScreenProps {
  settings: Settings;
  user: User;
  /** With `gone`: the account no longer exists (deleted); sign out without asking, and say so. */
  onSignOut: (gone?: { message: string }) => void;
}
