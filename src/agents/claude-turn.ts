import { spawnGroup } from '../harness/index.js';

/**
 * One prompt to Claude Code in print mode, continuing the agent's session with `--resume`: the
 * CLI sends the whole earlier conversation with the new prompt, which is how a persistent agent
 * keeps its context across tasks while every task still runs as its own process.
 */

export interface TurnInput {
  prompt: string;
  sessionId: string | null;
  cwd: string;
  env: Record<string, string>;
  /** Each line the agent says, for the agent's tmux window. */
  onText?: (text: string) => void;
  signal?: AbortSignal;
}

export interface TurnResult {
  ok: boolean;
  answer: string;
  sessionId: string | null;
  error: string | null;
}

interface StreamLine {
  type?: string;
  subtype?: string;
  session_id?: string;
  result?: string;
  is_error?: boolean;
  message?: { content?: { type?: string; text?: string }[] };
}

export async function claudeTurn(input: TurnInput): Promise<TurnResult> {
  const bin = input.env.DAEDALUS_CLAUDE_BIN?.trim() || 'claude';
  const args = ['-p', input.prompt, '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits'];
  if (input.sessionId) args.push('--resume', input.sessionId);
  let sessionId = input.sessionId;
  let result: StreamLine | null = null;
  const proc = await spawnGroup(bin, args, {
    cwd: input.cwd,
    env: { DISABLE_AUTOUPDATER: '1', ...input.env },
    parseLine: (line) => {
      let msg: StreamLine;
      try {
        msg = JSON.parse(line) as StreamLine;
      } catch {
        input.onText?.(line);
        return [];
      }
      if (msg.session_id) sessionId = msg.session_id;
      if (msg.type === 'result') result = msg;
      if (msg.type === 'assistant') for (const c of msg.message?.content ?? []) if (c.type === 'text' && c.text) input.onText?.(c.text);
      return [];
    },
  });
  const abort = () => void proc.terminate(2000);
  input.signal?.addEventListener('abort', abort, { once: true });
  const end = await proc.exited;
  input.signal?.removeEventListener('abort', abort);
  const r = result as StreamLine | null;
  if (input.signal?.aborted) return { ok: false, answer: '', sessionId, error: 'cancelled' };
  if (!r || r.is_error || end.exitCode !== 0) {
    const why = r?.result ?? end.tail.split('\n').filter(Boolean).at(-1) ?? `exit ${end.exitCode ?? end.signal}`;
    return { ok: false, answer: r?.result ?? '', sessionId, error: `claude ended without an answer: ${why}` };
  }
  return { ok: true, answer: r.result ?? '', sessionId, error: null };
}
