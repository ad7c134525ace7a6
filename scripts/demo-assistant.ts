/**
 * The demo account's Assistant: one conversation where the model has already
 * read the todos and now waits for the user to approve a new one — the
 * approval flow is the first thing the screen shows. Through the action API
 * with the local `rules` model, so it is exactly what a user's messages make.
 * A re-run reads the conversation's state and sends only what is missing.
 */
import type { Demo } from "./demo.ts";

interface State {
  status: string;
  messages: Array<{ role: string; name?: string }>;
}

export async function assistant(demo: Demo): Promise<void> {
  const id = demo.id("assistant:conversation:Plan the week");
  await demo.create("/api/assistant/conversations", { id, title: "Plan the week" });
  const state = () => demo.api<State>("GET", `/api/assistant/conversations/${id}/state`);
  const send = (content: string) =>
    demo.api<State>("POST", `/api/assistant/conversations/${id}/actions/send_message`, { content });
  let now = await state();
  if (now.messages.length === 0) now = await send("list todos");
  // Once a create_todo was proposed (pending, or decided by the user since), the demo is complete.
  if (now.status === "idle" && !now.messages.some((m) => m.name === "create_todo"))
    now = await send("add todo Water the plants");
}
