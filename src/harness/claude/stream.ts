import type { HarnessEvent } from '../types.js';

/**
 * Claude Code's `--output-format stream-json --verbose` lines, as normalised events. The stream
 * opens with `system/init` (session id, tools, MCP servers and their status), then one line per
 * assistant message and per tool result, and ends with `result` (cost, tokens, turns).
 */

interface Block {
  type: string;
  text?: string;
  name?: string;
  input?: Record<string, unknown>;
  is_error?: boolean;
}

interface Line {
  type?: string;
  subtype?: string;
  session_id?: string;
  mcp_servers?: { name: string; status: string }[];
  message?: { content?: Block[] | string };
  is_error?: boolean;
  num_turns?: number;
  total_cost_usd?: number;
  result?: string;
  usage?: { input_tokens?: number; output_tokens?: number; cache_creation_input_tokens?: number; cache_read_input_tokens?: number };
  /** On a result: the HTTP status of the API error that ended the session, if one did. */
  api_error_status?: number | null;
}

export interface ClaudeResult {
  subtype: string;
  isError: boolean;
  numTurns: number | null;
  costUsd: number | null;
  inputTokens: number;
  outputTokens: number;
  sessionId: string | null;
}

export interface StreamHooks {
  onSession?: (id: string) => void;
  /** The daedalus MCP server is not connected at init: the attempt cannot keep its contract. */
  onMcpFailure?: (reason: string) => void;
  onResult?: (r: ClaudeResult) => void;
}

const firstLine = (s: string, max = 200) => {
  const line = s.trim().split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
};

/** One line about a tool call: what the agent is doing, in the progress view. */
function describeTool(b: Block): string {
  const input = b.input ?? {};
  const name = b.name ?? '?';
  if (name === 'mcp__daedalus__report_progress' && typeof input.text === 'string') return firstLine(input.text);
  const short = name.startsWith('mcp__daedalus__') ? name.slice('mcp__daedalus__'.length) : name;
  const subject = ['command', 'file_path', 'path', 'pattern', 'url', 'summary'].map((k) => input[k]).find((v) => typeof v === 'string') as string | undefined;
  return subject ? `${short} ${firstLine(subject, 120)}` : short;
}

export function parseClaudeLine(raw: string, hooks: StreamHooks = {}): HarnessEvent[] {
  let line: Line;
  try {
    line = JSON.parse(raw) as Line;
  } catch {
    return [{ kind: 'output', text: raw }];
  }
  if (typeof line !== 'object' || line === null) return [{ kind: 'output', text: raw }];
  switch (line.type) {
    case 'system': {
      if (line.subtype !== 'init') return [];
      const events: HarnessEvent[] = [];
      if (line.session_id) {
        hooks.onSession?.(line.session_id);
        events.push({ kind: 'session', id: line.session_id });
      }
      const ours = line.mcp_servers?.find((s) => s.name === 'daedalus');
      // Headless Claude Code is told to wait for the server (claudeEnv), so anything but
      // `connected` here means this turn runs without the bus: `pending` went on without it,
      // `failed`, `needs-auth` or absent never will have it.
      if (!ours || ours.status !== 'connected') {
        const reason = !ours
          ? 'it is not among the configured MCP servers'
          : ours.status === 'pending'
            ? 'it was still connecting when Claude Code started its first turn (status pending)'
            : `status ${ours.status}`;
        hooks.onMcpFailure?.(reason);
        events.push({ kind: 'output', text: `the daedalus MCP server did not connect: ${reason}` });
      }
      return events;
    }
    case 'assistant': {
      const content = line.message?.content;
      if (!Array.isArray(content)) return [];
      return content.flatMap((b): HarnessEvent[] => {
        if (b.type === 'text' && b.text?.trim()) return [{ kind: 'progress', text: firstLine(b.text) }];
        if (b.type === 'tool_use') return [{ kind: 'progress', text: describeTool(b) }];
        return [];
      });
    }
    case 'user': {
      const content = line.message?.content;
      const failed = Array.isArray(content) && content.some((b) => b.type === 'tool_result' && b.is_error);
      return [{ kind: 'output', text: failed ? 'tool result (error)' : 'tool result' }];
    }
    case 'result': {
      const u = line.usage ?? {};
      const result: ClaudeResult = {
        subtype: line.subtype ?? 'unknown',
        isError: line.is_error === true,
        numTurns: line.num_turns ?? null,
        costUsd: typeof line.total_cost_usd === 'number' ? line.total_cost_usd : null,
        // Cached input is input too: the total says how much context the agent went through.
        inputTokens: (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0),
        outputTokens: u.output_tokens ?? 0,
        sessionId: line.session_id ?? null,
      };
      hooks.onResult?.(result);
      const events: HarnessEvent[] = [
        { kind: 'usage', ...(result.costUsd !== null ? { costUsd: result.costUsd } : {}), inputTokens: result.inputTokens, outputTokens: result.outputTokens },
      ];
      if (result.sessionId) events.push({ kind: 'session', id: result.sessionId });
      if (result.isError || result.subtype !== 'success') {
        const api = typeof line.api_error_status === 'number' ? ` (API error ${line.api_error_status})` : '';
        const text = `claude ended with ${result.subtype}${api}${line.result ? `: ${firstLine(line.result)}` : ''}`;
        events.push({ kind: 'output', text }, { kind: 'error', text });
      }
      return events;
    }
    default:
      return [];
  }
}
