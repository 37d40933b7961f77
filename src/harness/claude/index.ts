import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliBinary, agentMcpEntry, writeMcpJson, writePrompt } from '../launch.js';
import { approvalTimeoutMs } from '../../approvals/index.js';
import { killGroup } from '../spawn.js';
import { EndNotes, startAgent } from '../generic.js';
import type { AgentProcess, Harness, LaunchSpec } from '../types.js';
import { headlessArgs, interactiveArgs, previousSession, type SessionRecord } from './args.js';
import { parseClaudeLine, type ClaudeResult } from './stream.js';

/**
 * How long Claude Code may take to connect the daedalus MCP server before its first turn. Far more
 * than the server needs (tens of milliseconds); it is what a loaded machine may cost.
 */
export const MCP_CONNECT_WAIT_MS = 60_000;

/**
 * Claude Code. The environment keeps agents self-contained: no auto-updates (ten agents must not
 * update one binary at once), and an MCP tool timeout longer than a person may take to answer a
 * permission request.
 *
 * The bus must be connected before the first turn, or the agent starts without its tools (and its
 * permission prompt tool) and cannot keep its contract. Claude Code 2.1 in print mode does not
 * wait for MCP servers at all unless MCP_CONNECTION_NONBLOCKING is false, and then waits at most
 * MCP_CONNECT_TIMEOUT_MS (5 s by default) before going on without them; MCP_TIMEOUT (30 s by
 * default) bounds one server's connection. All three are set so it waits for ours; `system/init`
 * then shows whether it connected (see stream.ts).
 */
export function claudeEnv(spec: Pick<LaunchSpec, 'env'>): Record<string, string> {
  const env = { ...spec.env };
  env.DISABLE_AUTOUPDATER ??= '1';
  env.MCP_TOOL_TIMEOUT ??= String(approvalTimeoutMs(spec.env) + 60_000);
  env.MCP_CONNECTION_NONBLOCKING ??= '0';
  env.MCP_CONNECT_TIMEOUT_MS ??= String(MCP_CONNECT_WAIT_MS);
  env.MCP_TIMEOUT ??= String(MCP_CONNECT_WAIT_MS);
  return env;
}

export const claudeHarness: Harness = {
  name: 'claude',
  completesOnExit: false,
  async launch(spec: LaunchSpec): Promise<AgentProcess> {
    const prompt = writePrompt(spec, 'bus');
    const mcpConfig = writeMcpJson(join(spec.attemptDir, 'mcp.json'), await agentMcpEntry(spec));
    const resume = previousSession(spec);
    const notes = new EndNotes();
    let proc: AgentProcess | null = null;
    let failure: string | null = null;

    const saveSession = (id: string) => {
      const record: SessionRecord = { sessionId: id, cwd: spec.worktree, harness: 'claude', at: new Date().toISOString() };
      writeFileSync(join(spec.attemptDir, 'session.json'), `${JSON.stringify(record)}\n`);
    };
    const stop = () => {
      if (proc && failure) void proc.terminate(2000);
    };
    const parseLine = (line: string) =>
      parseClaudeLine(line, {
        onSession: saveSession,
        onMcpFailure: (reason) => {
          // Without the bus it could neither report nor complete: end it now, not at its timeout.
          failure = `the daedalus MCP server did not connect: ${reason} (config ${mcpConfig}; its log is in the agent's output)`;
          notes.add(failure);
          stop();
        },
        onResult: (r: ClaudeResult) => {
          writeFileSync(join(spec.attemptDir, 'usage.json'), `${JSON.stringify(r)}\n`);
          if (r.isError || r.subtype !== 'success') notes.add(`claude ended with ${r.subtype}`);
        },
      });

    const started = await startAgent(spec, {
      command: cliBinary(spec, 'DAEDALUS_CLAUDE_BIN', 'claude'),
      args: headlessArgs(spec, prompt.text, mcpConfig, resume),
      interactiveArgs: interactiveArgs(spec, mcpConfig, resume),
      promptFile: prompt.file,
      env: claudeEnv(spec),
      parseLine,
    });
    proc = notes.wrap(started);
    // A failure seen before the process object existed.
    if (failure) killGroup(started.pgid, 'SIGTERM');
    return proc;
  },
};
