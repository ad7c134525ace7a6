/**
 * A local stand-in for an OpenAI-compatible model API: `POST
 * /v1/chat/completions` over real HTTP, answering from a script the test
 * writes, in the chat-completions wire format — a `chat.completion` object,
 * or with `"stream": true` server-sent `chat.completion.chunk`s ending in
 * `data: [DONE]`. Tool calls are `tool_calls: [{id, type: "function",
 * function: {name, arguments: "<JSON text>"}}]` with `finish_reason:
 * "tool_calls"`; streamed, the call's id and name come first and its
 * arguments follow in fragments, as the protocol documents.
 *
 * Every request is kept (headers and parsed body) so a test can assert what
 * the app sent: messages, tools, tool results.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export type Reply = { text: string } | { toolCalls: Array<{ id: string; name: string; arguments: unknown }> };

export interface ChatRequest {
  headers: IncomingHttpHeaders;
  body: {
    model: string;
    stream?: boolean;
    messages: Array<{
      role: string;
      content?: unknown;
      tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
      tool_call_id?: string;
    }>;
    tools?: Array<{ type: string; function: { name: string; description?: string; parameters: any } }>;
    [key: string]: unknown;
  };
}

export interface ChatServer {
  /** Base URL to configure as ASSISTANT_BASE_URL (ends in /v1). */
  baseUrl: string;
  requests: ChatRequest[];
  close(): Promise<void>;
}

const usage = { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 };

/** `script(request, n)` answers the n-th request (0-based); throwing answers 500. */
export async function startChatServer(script: (req: ChatRequest, n: number) => Reply): Promise<ChatServer> {
  const requests: ChatRequest[] = [];
  let seq = 0;
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: "invalid_request_error" } }),
        );
        return;
      }
      const request: ChatRequest = { headers: req.headers, body: JSON.parse(raw) };
      const n = requests.push(request) - 1;
      let reply: Reply;
      try {
        reply = script(request, n);
      } catch (err) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: String((err as Error).message), type: "server_error" } }));
        return;
      }
      const id = `chatcmpl-test${++seq}`;
      const created = Math.floor(Date.now() / 1000);
      const model = request.body.model;
      if (request.body.stream) {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        const includeUsage = (request.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
        for (const chunk of streamed(reply, includeUsage === true)) {
          res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, ...chunk })}\n\n`);
        }
        res.end("data: [DONE]\n\n");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id, object: "chat.completion", created, model, ...whole(reply), usage }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function whole(reply: Reply) {
  if ("text" in reply)
    return {
      choices: [
        { index: 0, message: { role: "assistant", content: reply.text }, finish_reason: "stop", logprobs: null },
      ],
    };
  return {
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: null,
          tool_calls: reply.toolCalls.map((c) => ({
            id: c.id,
            type: "function",
            function: { name: c.name, arguments: JSON.stringify(c.arguments) },
          })),
        },
        finish_reason: "tool_calls",
        logprobs: null,
      },
    ],
  };
}

function* streamed(reply: Reply, includeUsage: boolean) {
  const choice = (delta: object, finish_reason: string | null = null) => ({
    choices: [{ index: 0, delta, finish_reason, logprobs: null }],
  });
  if ("text" in reply) {
    yield choice({ role: "assistant", content: "" });
    // A few fragments, as a model sends them.
    for (const piece of reply.text.match(/.{1,12}/gs) ?? []) yield choice({ content: piece });
    yield choice({}, "stop");
  } else {
    for (const [index, c] of reply.toolCalls.entries()) {
      yield choice({
        ...(index === 0 ? { role: "assistant", content: null } : {}),
        tool_calls: [{ index, id: c.id, type: "function", function: { name: c.name, arguments: "" } }],
      });
      const args = JSON.stringify(c.arguments);
      for (let at = 0; at < args.length; at += 8)
        yield choice({ tool_calls: [{ index, function: { arguments: args.slice(at, at + 8) } }] });
    }
    yield choice({}, "tool_calls");
  }
  // Only when asked for (`stream_options.include_usage`): a last chunk with no choices and the usage.
  if (includeUsage) yield { choices: [], usage };
}
