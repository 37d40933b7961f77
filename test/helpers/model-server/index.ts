import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicContext, writeAnthropic } from './anthropic.js';
import { responsesContext, writeResponses } from './responses.js';
import { pickTurn, type Api, type Step, type TurnContext } from './script.js';

export type { Api, ScriptCall, Step, ToolResult, Turn, TurnContext } from './script.js';

/** One request the server received, for assertions. */
export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown> | null;
  /** A turn of the agent loop (it offers tools), as opposed to side requests (titles, quota checks). */
  agentTurn: boolean;
  api: Api | null;
  ctx: TurnContext | null;
}

export interface ModelServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Agent-loop requests only. */
  turns(): RecordedRequest[];
  /** Script calls to tools the CLI did not offer, and requests the server could not answer. */
  problems: string[];
  /** Replaces the script (between tests, or per agent in one server). */
  setScript(steps: Step[]): void;
  /** Resolves at the first agent-loop request after this call. */
  nextTurn(): Promise<RecordedRequest>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (chunks.length === 0) return null;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * A scripted "model" on loopback that speaks the Anthropic Messages API (Claude Code) and the
 * OpenAI Responses API (Codex). It answers agent turns from the script and side requests with a
 * short text, and records everything.
 */
export async function startModelServer(steps: Step[] = []): Promise<ModelServer> {
  let script = steps;
  const requests: RecordedRequest[] = [];
  const problems: string[] = [];
  let waiters: ((r: RecordedRequest) => void)[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const path = (req.url ?? '/').split('?')[0]!;
    const api: Api | null = path.endsWith('/messages') ? 'anthropic' : path.endsWith('/responses') ? 'responses' : null;
    const ctx = body && api === 'anthropic' ? anthropicContext(body) : body && api === 'responses' ? responsesContext(body) : null;
    const agentTurn = ctx !== null && ctx.tools.length > 0;
    const rec: RecordedRequest = { at: Date.now(), method: req.method ?? '', path, headers: req.headers, body, agentTurn, api, ctx };
    requests.push(rec);
    if (agentTurn) {
      const w = waiters;
      waiters = [];
      for (const f of w) f(rec);
    }
    if (req.method !== 'POST' || !ctx || !body) {
      // Anything else (model lists, count_tokens, telemetry) gets an empty success.
      res.writeHead(path.endsWith('/models') ? 200 : 404, { 'content-type': 'application/json' });
      res.end(path.endsWith('/models') ? JSON.stringify({ data: [], models: [] }) : '{}');
      return;
    }
    const turn = agentTurn ? pickTurn(script, ctx) : { text: 'Scripted side answer.' };
    if (turn.delayMs) await new Promise((r) => setTimeout(r, turn.delayMs));
    if (api === 'anthropic') writeAnthropic(res, body, turn, ctx, problems);
    else writeResponses(res, turn, ctx, problems);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      problems.push(`request ${req.url}: ${String(e)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // Keep-alive connections would hold close() until the CLIs time them out.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    turns: () => requests.filter((r) => r.agentTurn),
    problems,
    setScript(s) {
      script = s;
    },
    nextTurn: () => new Promise((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
