/**
 * Studio and assistant actions in `npm run soak`, beside the devices and the
 * storm (bench/soak-storm.ts): a maker creates, edits, plays and remixes loops
 * (the storm's loop too, so remixes reach another user's log under the
 * per-owner limit), and an assistant user talks to the embedded model, asking
 * for todos and approving or denying each tool call. Postgres restarts hit
 * them like everything else. At the end:
 *   - the storm loop's remixes_count equals its remix rows;
 *   - each executed create_todo made exactly one todo (retries never run a tool twice);
 *   - no 500 (request() counts them as violations).
 */
import { randomUUID } from "node:crypto";
import { makeAgent, seedUsers, send, type TestUser } from "./lib.ts";
import { auth, request, withDb } from "./soak-storm.ts";
import { ASSISTANT, counts, log, phase, saw500, violate, world } from "./soak-world.ts";
import { sleep } from "./stack.ts";

export interface Studio {
  maker: TestUser;
  talker: TestUser;
  loopId: string;
  done: Promise<void>;
}

const LOOP = { bars: 1, bpm: 100, color: "#336699", chord_progression: ["C", "G"], visibility: "public" };

export async function startStudio(tag: string, stormLoopId: string): Promise<Studio> {
  const [maker, talker] = (await seedUsers(world.stack.db.url, world.stack.db.directWsProxy, 2, `studio_${tag}`)) as [
    TestUser,
    TestUser,
  ];
  const agent = makeAgent(2);
  // Every request carries its own Idempotency-Key, so request()'s retries after a 503 are replays.
  const keyed = (u: TestUser) => ({ ...auth(u), "idempotency-key": randomUUID() });

  const make = async () => {
    const own: string[] = [];
    while (phase.running) {
      const r = Math.random();
      if (r < 0.3 || own.length === 0) {
        const id = randomUUID();
        const body = { id, name: `soak ${own.length}`, ...LOOP };
        const s = await request(
          agent,
          { method: "POST", path: "/api/studio/loops", headers: keyed(maker), body },
          "loop",
        );
        if (s === 201 || s === 200) own.push(id);
        else if (s === 409) counts.inProgress409++;
        else if (s !== 413 && s !== 429) violate(`studio: loop create answered ${s}`);
      } else if (r < 0.55) {
        const id = own[Math.floor(Math.random() * own.length)]!;
        const body = { bpm: 60 + Math.floor(Math.random() * 100) };
        const s = await request(
          agent,
          { method: "PUT", path: `/api/studio/loops/${id}`, headers: keyed(maker), body },
          "loop edit",
        );
        if (s === 409) counts.inProgress409++;
        else if (s !== 200 && s !== 404) violate(`studio: loop edit answered ${s}`);
      } else if (r < 0.75) {
        const s = await request(
          agent,
          {
            method: "POST",
            path: `/api/studio/loops/${stormLoopId}/remix`,
            headers: keyed(maker),
            body: { id: randomUUID() },
          },
          "remix",
        );
        if (s === 201) counts.studioRemixes++;
        // 409 idempotency_in_progress: a retry of a key whose first run died with Postgres (taken over later).
        else if (s === 409) counts.inProgress409++;
        else if (s !== 429) violate(`studio: remix answered ${s}`);
      } else {
        const s = await request(
          agent,
          { method: "POST", path: `/api/studio/loops/${stormLoopId}/plays`, headers: keyed(maker) },
          "play",
        );
        if (s !== 202 && s !== 429) violate(`studio: play answered ${s}`);
      }
      await sleep(150);
    }
  };

  const talk = async () => {
    const convId = randomUUID();
    convIdOf.id = convId;
    const conv = await request(
      agent,
      { method: "POST", path: "/api/assistant/conversations", headers: keyed(talker), body: { id: convId } },
      "conversation",
    );
    if (conv !== 201) return violate(`assistant: conversation create answered ${conv}`);
    let n = 0;
    while (phase.running) {
      const content = Math.random() < 0.7 ? `add todo soak ${tag} ${n++}` : "list todos";
      const sent = await request(
        agent,
        {
          method: "POST",
          path: `/api/assistant/conversations/${convId}/actions/send_message`,
          headers: keyed(talker),
          body: { content },
        },
        "send_message",
      );
      if (sent !== 200 && sent !== 409 && sent !== 429) violate(`assistant: send_message answered ${sent}`);
      counts.assistantMessages += sent === 200 ? 1 : 0;
      // Whatever happened (a run cut by a restart included), decide every pending call from the state.
      const state = await fetchJson(agent, `/api/assistant/conversations/${convId}/state`, talker);
      const pending = (state?.pending_tool_calls as { id: string }[] | undefined) ?? [];
      if (pending.length) {
        const approvals = pending.map((p) => ({ tool_call_id: p.id, approved: Math.random() < 0.8 }));
        const s = await request(
          agent,
          {
            method: "POST",
            path: `/api/assistant/conversations/${convId}/actions/approve_tools`,
            headers: keyed(talker),
            body: { approvals },
          },
          "approve_tools",
        );
        if (s === 200) counts.assistantApprovals++;
        else if (s !== 409 && s !== 429) violate(`assistant: approve_tools answered ${s}`);
        if (s === 200) await maybeUndoCall();
      }
      await sleep(300);
    }
  };

  /**
   * Issue 24: Undo on an executed create_todo (the todo is deleted), sometimes after "another device"
   * completed that todo — then the undo must refuse (409 version_conflict), never delete the edited todo.
   */
  const maybeUndoCall = async () => {
    if (Math.random() < 0.5) return;
    const state = await fetchJson(agent, `/api/assistant/conversations/${convIdOf.id}/state`, talker);
    const calls = ((state?.messages as Record<string, unknown>[] | undefined) ?? []).filter(
      (m) => m.name === "create_todo" && m.status === "executed" && m.undone_at === null,
    );
    const call = calls.at(-1);
    if (!call) return;
    const callId = call.tool_call_id as string;
    if (Math.random() < 0.3) {
      const s = await request(
        agent,
        { method: "PUT", path: `/api/todos/${callId}`, headers: keyed(talker), body: { done: true } },
        "todo edit",
      );
      if (s !== 200 && s !== 404 && s !== 409) violate(`assistant: todo edit answered ${s}`);
    }
    const s = await request(
      agent,
      { method: "POST", path: `/api/assistant/tool-calls/${callId}/undo`, headers: keyed(talker) },
      "tool-call undo",
    );
    if (s === 200) counts.toolCallUndos++;
    else if (s === 409) counts.toolCallUndoConflicts++;
    else violate(`assistant: tool-call undo answered ${s}`);
  };
  const convIdOf = { id: "" };

  const done = Promise.all([make(), ...(ASSISTANT ? [talk()] : [])]).then(() => agent.destroy());
  log(
    `studio: a maker creating, editing, playing and remixing loops${ASSISTANT ? "; an assistant user approving tool calls" : ""}`,
  );
  return { maker, talker, loopId: stormLoopId, done };

  async function fetchJson(a: typeof agent, path: string, u: TestUser): Promise<Record<string, unknown> | null> {
    for (let i = 0; i < 50 && phase.running; i++) {
      const res = await send(world.stack.baseUrl, a, { method: "GET", path, headers: auth(u) }).catch(() => null);
      if (res?.status === 200) return res.json() as Record<string, unknown>;
      if (res?.status === 500) saw500(`GET ${path}`, res.text);
      await sleep(300);
    }
    return null;
  }
}

/** After the mutation phase: counters match their rows, and no tool ran twice. */
export async function checkStudio(s: Studio): Promise<void> {
  await s.done;
  await withDb(async (q) => {
    const loop = await q(
      `select remixes_count, (select count(*)::int from loops where parent_loop_id = $1) as rows from loops where id = $1`,
      [s.loopId],
    );
    if (loop.remixes_count !== loop.rows)
      violate(`studio: remixes_count ${loop.remixes_count} but ${loop.rows} remixes of the storm loop`);
    // Each executed create_todo left exactly one todo, unless its Undo deleted it (undone_at set).
    const tools = await q(
      `select (select count(*)::int from tool_calls where user_id = $1 and name = 'create_todo' and status = 'executed'
                 and undone_at is null) as executed,
              (select count(*)::int from tool_calls t where t.user_id = $1 and t.name = 'create_todo'
                 and t.status = 'executed' and t.undone_at is null
                 and not exists (select 1 from todos d where d.user_id = t.user_id and d.id = t.id)) as lost,
              (select count(*)::int from tool_calls t where t.user_id = $1 and t.undone_at is not null
                 and exists (select 1 from todos d where d.user_id = t.user_id and d.id = t.id)) as kept,
              (select count(*)::int from todos where user_id = $1) as todos`,
      [s.talker.id],
    );
    counts.assistantTodos = tools.todos;
    if (tools.executed !== tools.todos || tools.lost > 0 || tools.kept > 0)
      violate(
        `assistant: ${tools.executed} standing create_todo calls but ${tools.todos} todos ` +
          `(${tools.lost} without their todo, ${tools.kept} undone but still there)`,
      );
  });
}
