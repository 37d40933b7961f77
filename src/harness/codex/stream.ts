import type { HarnessEvent } from '../types.js';
import { costUsd, type Price } from './pricing.js';

/**
 * `codex exec --json` lines as normalised events: thread.started (the session), turn.started,
 * item.started / item.completed (agent_message, reasoning, command_execution, mcp_tool_call,
 * file_change, error…), turn.completed with token usage, turn.failed and error. Codex's own
 * diagnostics go to stderr as plain text, which is where a failed MCP server shows up.
 */

interface Item {
  type?: string;
  text?: string;
  message?: string;
  command?: string;
  server?: string;
  tool?: string;
  arguments?: Record<string, unknown>;
  changes?: { path: string; kind?: string }[];
  status?: string;
  exit_code?: number | null;
}

interface Line {
  type?: string;
  thread_id?: string;
  item?: Item;
  usage?: { input_tokens?: number; cached_input_tokens?: number; output_tokens?: number };
  error?: { message?: string };
  message?: string;
}

export interface CodexHooks {
  onSession?: (id: string) => void;
  onTurnCompleted?: () => void;
  onMcpFailure?: (reason: string) => void;
}

const firstLine = (s: string, max = 200) => {
  const line = s.trim().split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
};

/** Accumulates usage over the turns of one exec (a resumed exec may have several). */
export class CodexUsage {
  input = 0;
  cachedInput = 0;
  output = 0;

  constructor(private readonly price: Price) {}

  add(u: NonNullable<Line['usage']>): HarnessEvent {
    this.input += u.input_tokens ?? 0;
    this.cachedInput += u.cached_input_tokens ?? 0;
    this.output += u.output_tokens ?? 0;
    return { kind: 'usage', costUsd: costUsd(this.price, this), inputTokens: this.input, outputTokens: this.output };
  }
}

function itemEvent(item: Item, started: boolean): HarnessEvent[] {
  switch (item.type) {
    case 'agent_message':
      return item.text?.trim() ? [{ kind: 'progress', text: firstLine(item.text) }] : [];
    case 'command_execution':
      if (started) return [{ kind: 'progress', text: `$ ${firstLine(item.command ?? '', 160)}` }];
      return [{ kind: 'output', text: `$ ${firstLine(item.command ?? '', 160)} → exit ${item.exit_code ?? '?'}` }];
    case 'mcp_tool_call': {
      const args = item.arguments ?? {};
      if (started && item.server === 'daedalus' && item.tool === 'report_progress' && typeof args.text === 'string') return [{ kind: 'progress', text: firstLine(args.text) }];
      return [{ kind: started ? 'progress' : 'output', text: `${item.server ?? '?'}.${item.tool ?? '?'}${started ? '' : ` ${item.status ?? ''}`}`.trim() }];
    }
    case 'file_change':
      return [{ kind: started ? 'progress' : 'output', text: `edit ${(item.changes ?? []).map((c) => c.path.split('/').at(-1)).join(', ')}` }];
    case 'error': {
      const text = `codex: ${firstLine(item.message ?? '', 400)}`;
      return [{ kind: 'output', text }, { kind: 'error', text }];
    }
    default:
      return [{ kind: 'output', text: item.type ?? 'item' }];
  }
}

const MCP_FAILED = /required MCP servers failed to initialize:\s*(.*)$/;

export function parseCodexLine(raw: string, usage: CodexUsage, hooks: CodexHooks = {}): HarnessEvent[] {
  let line: Line;
  try {
    line = JSON.parse(raw) as Line;
    if (typeof line !== 'object' || line === null) throw new Error('not an object');
  } catch {
    const failed = MCP_FAILED.exec(raw);
    if (failed) hooks.onMcpFailure?.(firstLine(failed[1]!.replace(/\s*\(code -?\d+\)\s*$/, ''), 400));
    return [{ kind: 'output', text: raw }];
  }
  switch (line.type) {
    case 'thread.started':
      if (!line.thread_id) return [];
      hooks.onSession?.(line.thread_id);
      return [{ kind: 'session', id: line.thread_id }];
    case 'turn.started':
      return [{ kind: 'output', text: 'turn started' }];
    case 'item.started':
      return line.item ? itemEvent(line.item, true) : [];
    case 'item.completed':
      return line.item ? itemEvent(line.item, false) : [];
    case 'turn.completed': {
      const events = line.usage ? [usage.add(line.usage)] : [];
      hooks.onTurnCompleted?.();
      return events;
    }
    case 'turn.failed': {
      const text = `codex turn failed: ${firstLine(line.error?.message ?? 'unknown error', 400)}`;
      return [{ kind: 'output', text }, { kind: 'error', text }];
    }
    case 'error': {
      const text = `codex error: ${firstLine(line.message ?? line.error?.message ?? raw, 400)}`;
      return [{ kind: 'output', text }, { kind: 'error', text }];
    }
    default:
      return [];
  }
}
