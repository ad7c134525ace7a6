/**
 * The model is configuration (SPEC §5): `ASSISTANT_PROVIDER` picks it.
 *
 *  - `rules` (the default without an AI binding: dev, tests): the
 *    deterministic local model in ./rules-model.ts.
 *  - `workers-ai` (the default with one): Workers AI through the `AI`
 *    binding, which only the generated deploy configuration has
 *    (scripts/deploy-config.ts) — an `ai` binding forces wrangler into remote
 *    mode, so dev and tests never have it. `ASSISTANT_MODEL` names the model.
 *  - `openai-compatible`: any OpenAI-compatible API at `ASSISTANT_BASE_URL`
 *    with the secret `ASSISTANT_API_KEY`; `ASSISTANT_MODEL` names the model.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { tool, type LanguageModel, type ToolSet } from "ai";
import { createWorkersAI } from "workers-ai-provider";
import { AppError } from "../errors";
import { RulesModel } from "./rules-model";
import { TOOLS } from "./tools";
import { ErrorCode } from "../protocol/rules";

export const DEFAULT_WORKERS_AI_MODEL = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";

export interface ModelEnv {
  ASSISTANT_PROVIDER?: string;
  ASSISTANT_MODEL?: string;
  ASSISTANT_BASE_URL?: string;
  ASSISTANT_API_KEY?: string;
  AI?: Ai;
}

const misconfigured = (what: string) =>
  new AppError(503, ErrorCode.assistant_unavailable, `The assistant's model is not configured: ${what}.`, {
    headers: { "Retry-After": "60" },
  });

export function modelFromEnv(env: ModelEnv): LanguageModel {
  // The AI binding exists only in deploys (wrangler.deploy.toml); where it is, it is the default.
  const provider = env.ASSISTANT_PROVIDER?.trim() || (env.AI ? "workers-ai" : "rules");
  switch (provider) {
    case "rules":
      return new RulesModel();
    case "workers-ai":
      if (!env.AI) throw misconfigured("the AI binding is missing (deploy with npm run deploy)");
      return createWorkersAI({ binding: env.AI })(env.ASSISTANT_MODEL || DEFAULT_WORKERS_AI_MODEL);
    case "openai-compatible":
      if (!env.ASSISTANT_BASE_URL || !env.ASSISTANT_MODEL)
        throw misconfigured("ASSISTANT_BASE_URL and ASSISTANT_MODEL are required");
      return createOpenAICompatible({
        name: "openai-compatible",
        baseURL: env.ASSISTANT_BASE_URL,
        ...(env.ASSISTANT_API_KEY ? { apiKey: env.ASSISTANT_API_KEY } : {}),
      })(env.ASSISTANT_MODEL);
    default:
      throw misconfigured(`unknown ASSISTANT_PROVIDER "${provider}"`);
  }
}

/**
 * The registry as AI SDK tools — without `execute`: the state machine runs
 * them itself, so reading tools run at once and data-changing ones wait for
 * approval with their state in Postgres, never in the client's history.
 */
export const modelTools = (): ToolSet =>
  Object.fromEntries(TOOLS.map((t) => [t.name, tool({ description: t.description, inputSchema: t.input })]));

export const SYSTEM_PROMPT = [
  "You are the assistant inside Continuum, a personal workspace with todos, an inbox, a reference library and a focus timer.",
  "Use the tools to read and change the user's data; never invent ids — list first.",
  "Tools that change data run only after the user approves them.",
  "After a tool result, answer in one short sentence that includes the result.",
].join(" ");
