/**
 * What the scripted model says. A script is a list of turns; the server picks the turn from the
 * conversation it is sent (how many scripted turns already happened), so a retried or replayed
 * request gets the same answer and no state is kept between requests.
 */

export type Api = 'anthropic' | 'responses';

/** One tool call the model makes. `tool` is a real tool name, or `daedalus:NAME` for our MCP tool NAME as the CLI exposes it. */
export interface ScriptCall {
  tool: string;
  input: Record<string, unknown>;
}

export interface Turn {
  calls?: ScriptCall[];
  text?: string;
  /** Tokens the response reports (default 100 in, 20 out). */
  usage?: { input: number; output: number };
  /** Wait this long before answering (the agent is "thinking"). */
  delayMs?: number;
}

/** The result of a tool call the CLI sends back in the next request. */
export interface ToolResult {
  id: string;
  text: string;
  isError: boolean;
}

/** What a dynamic turn sees: the conversation so far, reduced to what a script needs. */
export interface TurnContext {
  api: Api;
  turn: number;
  tools: string[];
  /** Results of the previous turn's calls, in call order. */
  results: ToolResult[];
  /** The first user message's text (the prompt the agent was given). */
  prompt: string;
  /** The text of the latest user message (a resumed session's new prompt). */
  lastUserText: string;
  body: Record<string, unknown>;
}

export type Step = Turn | ((ctx: TurnContext) => Turn);

/** Tool-use / call ids carry the turn that made them, so the next request says which turn is next. */
export const callId = (api: Api, turn: number, i: number) => (api === 'anthropic' ? `toolu_t${turn}_${i}` : `call_t${turn}_${i}`);

export function turnFromIds(ids: string[]): number {
  let max = -1;
  for (const id of ids) {
    const m = /_t(\d+)_\d+$/.exec(id);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

/**
 * Our MCP tool NAME as the CLI named it: Claude Code says `mcp__daedalus__NAME`; other CLIs have
 * their own spelling, so any offered name that mentions the server and ends with NAME will do.
 */
export function resolveTool(name: string, offered: string[]): string | null {
  if (!name.startsWith('daedalus:')) return offered.includes(name) ? name : null;
  const bare = name.slice('daedalus:'.length);
  return offered.find((t) => t === `mcp__daedalus__${bare}`) ?? offered.find((t) => /daedalus/.test(t) && t.endsWith(bare)) ?? null;
}

/** The turn to answer, or a closing text when the script has run out (a real model stops too). */
export function pickTurn(steps: Step[], ctx: TurnContext): Turn {
  const step = steps[ctx.turn];
  if (step === undefined) return { text: 'Done.' };
  return typeof step === 'function' ? step(ctx) : step;
}
