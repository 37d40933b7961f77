import { approvalTimeoutMs } from '../approvals/index.js';
import { daedalusCommand, spawnGroup } from '../harness/index.js';

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
  /**
   * The bus for the turn's `daedalus mcp` server, whose approve_permission tool becomes Claude
   * Code's permission prompt: a tool use that needs permission is then a request a person decides
   * (`daedalus approvals`), not a silent denial of print mode. Without it, no MCP server is started.
   */
  approvals?: { bus: string; scope: string; instanceId: string };
  /** More flags for the CLI (options only: they go before --resume). */
  extraArgs?: string[];
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
  const env: Record<string, string> = { DISABLE_AUTOUPDATER: '1', ...input.env };
  if (input.approvals) {
    const [command, ...rest] = daedalusCommand();
    const server = {
      type: 'stdio',
      command,
      args: [...rest, 'mcp'],
      // The instance reserved for this turn: its approval requests name it, which is how the runner
      // knows they are this agent's.
      env: { DAEDALUS_BUS: input.approvals.bus, DAEDALUS_SCOPE: input.approvals.scope, DAEDALUS_INSTANCE_ID: input.approvals.instanceId, DAEDALUS_ROLE: 'worker', DAEDALUS_FILE_ROOT: input.cwd },
    };
    args.push('--mcp-config', JSON.stringify({ mcpServers: { daedalus: server } }), '--strict-mcp-config', '--allowedTools', 'mcp__daedalus', '--permission-prompt-tool', 'mcp__daedalus__approve_permission');
    // Wait for the server before the first turn, and longer than a person may take to decide.
    env.MCP_CONNECTION_NONBLOCKING ??= '0';
    env.MCP_TOOL_TIMEOUT ??= String(approvalTimeoutMs(input.env) + 60_000);
  }
  args.push(...(input.extraArgs ?? []));
  if (input.sessionId) args.push('--resume', input.sessionId);
  let sessionId = input.sessionId;
  let result: StreamLine | null = null;
  const proc = await spawnGroup(bin, args, {
    cwd: input.cwd,
    env,
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
