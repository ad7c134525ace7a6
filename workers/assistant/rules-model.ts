/**
 * `rules`: the embedded default model — deterministic, offline, used by the
 * tests. It implements the AI SDK's LanguageModel interface (v4), so it emits
 * real tool calls and text and the state machine cannot tell it from a
 * remote model. The grammar is SPEC §5 Assistant, case-insensitive:
 *
 *   add todo <title> · list todos · complete todo <title> · delete todo <title>
 *   capture <text> · list inbox · find <words> · focus status · focus <minutes>
 *   recent changes · undo
 *
 * `complete`/`delete` act on the oldest open todo with that title: the model
 * first calls the reading tool list_todos and decides on its result (no
 * match → a reply saying so, no tool call), like a remote model would.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4GenerateResult,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4ToolResultOutput,
} from "@ai-sdk/provider";
import { LIMITS } from "../protocol/rules";

export const RULES_HELP =
  'I understand: "add todo <title>", "list todos", "complete todo <title>", "delete todo <title>", ' +
  '"capture <text>", "list inbox", "find <words>", "focus status", "focus <minutes>", "recent changes" and "undo".';

type Command =
  | { kind: "tool"; name: string; input: Record<string, unknown> }
  | { kind: "pick"; action: "complete_todo" | "delete_todo"; title: string }
  | { kind: "text"; text: string };

/** The grammar, on the user's latest message. */
export function parseCommand(raw: string): Command {
  const text = raw.trim().replace(/\s+/g, " ");
  let m: RegExpExecArray | null;
  if ((m = /^add todo (.+)$/i.exec(text)))
    return { kind: "tool", name: "create_todo", input: { title: m[1]!.slice(0, LIMITS.todo.title) } };
  if (/^list todos$/i.test(text)) return { kind: "tool", name: "list_todos", input: {} };
  if ((m = /^(complete|delete) todo (.+)$/i.exec(text)))
    return { kind: "pick", action: m[1]!.toLowerCase() === "complete" ? "complete_todo" : "delete_todo", title: m[2]! };
  if ((m = /^capture (.+)$/i.exec(text)))
    return { kind: "tool", name: "capture_inbox", input: { title: m[1]!.slice(0, LIMITS.inbox.title) } };
  if (/^list inbox$/i.test(text)) return { kind: "tool", name: "list_inbox", input: {} };
  if ((m = /^find (.+)$/i.exec(text)))
    return { kind: "tool", name: "search_references", input: { query: m[1]!.slice(0, LIMITS.reference.query) } };
  if (/^focus status$/i.test(text)) return { kind: "tool", name: "focus_status", input: {} };
  if (/^(?:list )?recent changes$/i.test(text)) return { kind: "tool", name: "list_recent_changes", input: {} };
  if (/^undo(?: (?:the )?last (?:action|change))?$/i.test(text))
    return { kind: "tool", name: "undo_last_action", input: {} };
  if ((m = /^focus (\d{1,6})(?: ?(?:min|mins|minutes?))?$/i.exec(text))) {
    const minutes = Number(m[1]);
    const max = LIMITS.assistant.focusMinutes;
    if (minutes < 1 || minutes > max) return { kind: "text", text: `A focus session is 1 to ${max} minutes long.` };
    return { kind: "tool", name: "start_focus", input: { minutes } };
  }
  return { kind: "text", text: RULES_HELP };
}

interface Row {
  id: string;
  title: string;
  done?: boolean;
  created_at?: string;
}
const items = (v: unknown): Row[] =>
  ((v as { items?: Row[] } | null)?.items ?? []).filter((r) => typeof r?.title === "string");
const quote = (s: string) => `"${s}"`;
const titles = (rows: Row[]) => rows.map((r) => quote(r.title)).join(", ");

/** A short sentence that includes the result. */
export function describeResult(toolName: string, output: LanguageModelV4ToolResultOutput): string {
  if (output.type === "execution-denied") return `OK, I did not run ${toolName}: you denied it.`;
  if (output.type === "error-text") return `That did not work: ${output.value}`;
  if (output.type === "error-json") {
    const msg = (output.value as { error?: { message?: string } } | null)?.error?.message;
    return `That did not work: ${msg ?? "the tool failed."}`;
  }
  const v = (output.type === "json" ? output.value : null) as Record<string, any> | null;
  switch (toolName) {
    case "create_todo":
      return `Added todo ${quote(v?.title)}.`;
    case "complete_todo":
      return `Marked ${quote(v?.title)} as done.`;
    case "delete_todo":
      return `Deleted todo ${quote(v?.title)}.`;
    case "list_todos": {
      const rows = items(v);
      if (rows.length === 0) return "You have no todos.";
      const open = rows.filter((r) => !r.done);
      const done = rows.filter((r) => r.done);
      return `Your todos: ${[open.length ? `open ${titles(open)}` : "", done.length ? `done ${titles(done)}` : ""].filter(Boolean).join("; ")}.`;
    }
    case "capture_inbox":
      return `Captured ${quote(v?.title)} in your inbox.`;
    case "list_inbox": {
      const rows = items(v);
      return rows.length ? `Your inbox: ${titles(rows)}.` : "Your inbox is empty.";
    }
    case "search_references": {
      const rows = items(v);
      return rows.length
        ? `Found ${rows.length === 1 ? "1 reference" : `${rows.length} references`}: ${titles(rows)}.`
        : "No references match.";
    }
    case "focus_status": {
      const s = v?.session;
      if (!s) return "No focus session is running.";
      const minutes = Math.ceil(Number(s.remaining_s) / 60);
      return `Your focus session is ${s.status} with ${minutes} minute${minutes === 1 ? "" : "s"} left.`;
    }
    case "list_recent_changes": {
      const rows = ((v?.changes ?? []) as { kind: string; title: string | null; entity: string }[]).map(
        (c) => `${c.kind} ${c.title === null ? c.entity.replace("_", " ") : quote(c.title)}`,
      );
      return rows.length ? `Your latest changes: ${rows.join(", ")}.` : "No changes to todos, inbox or references yet.";
    }
    case "undo_last_action": {
      const what = v?.undid
        ? `${v.undid.op === "delete" ? "the deletion of" : "the last change to"} ${v.undid.entity.replace("_", " ")}`
        : "the last change";
      return v?.changed === false ? `${what} was already undone.` : `Undid ${what}.`;
    }
    case "start_focus":
      return `Started a ${Math.round(Number(v?.duration_s) / 60)}-minute focus session.`;
    default:
      return `${toolName} finished.`;
  }
}

/** The prompt after the latest user message: that message and the tool results since. */
function currentTurn(prompt: LanguageModelV4Prompt) {
  let userText = "";
  let results: { toolName: string; output: LanguageModelV4ToolResultOutput }[] = [];
  for (const message of prompt) {
    if (message.role === "user") {
      userText = message.content.map((p) => (p.type === "text" ? p.text : "")).join("");
      results = [];
    } else if (message.role === "tool") {
      for (const part of message.content) if (part.type === "tool-result") results.push(part);
    }
  }
  return { userText, results };
}

export function decide(prompt: LanguageModelV4Prompt): LanguageModelV4Content[] {
  const { userText, results } = currentTurn(prompt);
  const command = parseCommand(userText);
  const call = (toolName: string, input: Record<string, unknown>): LanguageModelV4Content => ({
    type: "tool-call",
    toolCallId: `rules-${crypto.randomUUID()}`,
    toolName,
    input: JSON.stringify(input),
  });
  const last = results.at(-1);
  if (!last) {
    if (command.kind === "text") return [{ type: "text", text: command.text }];
    if (command.kind === "tool") return [call(command.name, command.input)];
    return [call("list_todos", { done: false, title: command.title, order: "oldest" })];
  }
  if (command.kind === "pick" && last.toolName === "list_todos") {
    if (last.output.type !== "json") return [{ type: "text", text: describeResult("list_todos", last.output) }];
    const wanted = command.title.toLowerCase();
    const match = items(last.output.value)
      .filter((r) => !r.done && r.title.toLowerCase() === wanted)
      .sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)) || a.id.localeCompare(b.id))[0];
    if (!match) return [{ type: "text", text: `You have no open todo called ${quote(command.title)}.` }];
    return [call(command.action, { id: match.id })];
  }
  return [{ type: "text", text: describeResult(last.toolName, last.output) }];
}

const usage = {
  inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 0, text: 0, reasoning: 0 },
};

export class RulesModel implements LanguageModelV4 {
  readonly specificationVersion = "v4";
  readonly provider = "continuum";
  readonly modelId = "rules";
  readonly supportedUrls = {};

  /**
   * Its first step on a new message, known before the history is read: `decide` looks at the
   * latest user message and the tool results since, and a new message has none yet. A reading
   * tool named here is fetched with the claim (routes/assistant.ts), not after the step.
   */
  firstCall(message: string): { toolName: string; input: Record<string, unknown> } | undefined {
    const [first] = decide([{ role: "user", content: [{ type: "text", text: message }] }]);
    return first?.type === "tool-call"
      ? { toolName: first.toolName, input: JSON.parse(first.input) as Record<string, unknown> }
      : undefined;
  }

  async doGenerate(options: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    const content = decide(options.prompt);
    const toolCalls = content.some((c) => c.type === "tool-call");
    return {
      content,
      finishReason: { unified: toolCalls ? "tool-calls" : "stop", raw: undefined },
      usage,
      warnings: [],
    };
  }

  async doStream(options: LanguageModelV4CallOptions) {
    const { content, finishReason } = await this.doGenerate(options);
    const parts: LanguageModelV4StreamPart[] = [{ type: "stream-start", warnings: [] }];
    for (const c of content) {
      if (c.type === "text") {
        parts.push(
          { type: "text-start", id: "t" },
          { type: "text-delta", id: "t", delta: c.text },
          { type: "text-end", id: "t" },
        );
      } else if (c.type === "tool-call") parts.push(c);
    }
    parts.push({ type: "finish", finishReason, usage });
    return {
      stream: new ReadableStream<LanguageModelV4StreamPart>({
        start(ctrl) {
          for (const p of parts) ctrl.enqueue(p);
          ctrl.close();
        },
      }),
    };
  }
}
