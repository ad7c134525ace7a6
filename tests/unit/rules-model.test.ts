// The `rules` model's grammar (SPEC §5 Assistant) and its answers, as pure functions.
import { describe, expect, test } from "vitest";
import { decide, describeResult, parseCommand, RULES_HELP } from "../../workers/assistant/rules-model.ts";

describe("rules grammar", () => {
  test.each([
    ["add todo buy milk", { kind: "tool", name: "create_todo", input: { title: "buy milk" } }],
    ["  ADD   TODO   Buy  Milk ", { kind: "tool", name: "create_todo", input: { title: "Buy Milk" } }],
    ["list todos", { kind: "tool", name: "list_todos", input: {} }],
    ["List Todos", { kind: "tool", name: "list_todos", input: {} }],
    ["complete todo Buy milk", { kind: "pick", action: "complete_todo", title: "Buy milk" }],
    ["delete todo x", { kind: "pick", action: "delete_todo", title: "x" }],
    ["capture call the bank", { kind: "tool", name: "capture_inbox", input: { title: "call the bank" } }],
    ["list inbox", { kind: "tool", name: "list_inbox", input: {} }],
    ["find voice leading", { kind: "tool", name: "search_references", input: { query: "voice leading" } }],
    ["focus status", { kind: "tool", name: "focus_status", input: {} }],
    ["focus 25", { kind: "tool", name: "start_focus", input: { minutes: 25 } }],
    ["focus 1 minute", { kind: "tool", name: "start_focus", input: { minutes: 1 } }],
    ["Focus 240 min", { kind: "tool", name: "start_focus", input: { minutes: 240 } }],
    ["recent changes", { kind: "tool", name: "list_recent_changes", input: {} }],
    ["Undo", { kind: "tool", name: "undo_last_action", input: {} }],
    ["undo the last change", { kind: "tool", name: "undo_last_action", input: {} }],
  ])("%s", (text, expected) => expect(parseCommand(text)).toEqual(expected));

  test.each(["focus 0", "focus 241", "focus 99999"])("%s is out of range", (text) =>
    expect(parseCommand(text)).toEqual({ kind: "text", text: "A focus session is 1 to 240 minutes long." }),
  );

  test.each(["", "hello", "undo everything", "add todo", "todo add x", "list todo", "focus", "focus -5", "find"])(
    "%j gets the help text",
    (text) => expect(parseCommand(text)).toEqual({ kind: "text", text: RULES_HELP }),
  );
});

describe("rules answers", () => {
  const user = (text: string) => ({ role: "user" as const, content: [{ type: "text" as const, text }] });
  const result = (toolName: string, value: unknown) => ({
    role: "tool" as const,
    content: [
      {
        type: "tool-result" as const,
        toolCallId: "c1",
        toolName,
        output: { type: "json" as const, value: value as never },
      },
    ],
  });
  const todos = {
    items: [
      { id: "b", title: "Buy milk", done: false, created_at: "2026-01-02T00:00:00Z" },
      { id: "a", title: "buy MILK", done: false, created_at: "2026-01-01T00:00:00Z" },
      { id: "c", title: "buy milk", done: true, created_at: "2025-01-01T00:00:00Z" },
    ],
  };

  test("complete todo: the oldest open one with that title, case-insensitively", () => {
    const [first] = decide([user("complete todo buy milk")]);
    expect(first).toMatchObject({ type: "tool-call", toolName: "list_todos" });
    const [second] = decide([user("complete todo buy milk"), result("list_todos", todos)]);
    expect(second).toMatchObject({ type: "tool-call", toolName: "complete_todo" });
    expect(JSON.parse((second as { input: string }).input)).toEqual({ id: "a" });
  });

  test("no open match → a reply, no tool call", () => {
    expect(decide([user("delete todo walk"), result("list_todos", todos)])).toEqual([
      { type: "text", text: 'You have no open todo called "walk".' },
    ]);
  });

  test("after a result: a short sentence with it; a denial and an error are said so", () => {
    expect(describeResult("list_todos", { type: "json", value: todos })).toBe(
      'Your todos: open "Buy milk", "buy MILK"; done "buy milk".',
    );
    expect(describeResult("create_todo", { type: "json", value: { title: "x" } })).toBe('Added todo "x".');
    expect(describeResult("create_todo", { type: "execution-denied" })).toMatch(/denied/);
    expect(
      describeResult("start_focus", { type: "error-json", value: { error: { message: "Already running." } } }),
    ).toBe("That did not work: Already running.");
    // Only the current turn counts: an older tool result does not answer a new message.
    expect(decide([user("list todos"), result("list_todos", todos), user("hello")])).toEqual([
      { type: "text", text: RULES_HELP },
    ]);
  });
});
