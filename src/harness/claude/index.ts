import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliBinary, mcpServerEntry, writeMcpJson, writePrompt } from '../launch.js';
import { approvalTimeoutMs } from '../../approvals/index.js';
import { killGroup } from '../spawn.js';
import { EndNotes, startAgent } from '../generic.js';
import type { AgentProcess, Harness, LaunchSpec } from '../types.js';
import { headlessArgs, interactiveArgs, previousSession, type SessionRecord } from './args.js';
import { parseClaudeLine, type ClaudeResult } from './stream.js';

/**
 * Claude Code. The environment keeps agents self-contained: no auto-updates (ten agents must not
 * update one binary at once), and an MCP tool timeout longer than a person may take to answer a
 * permission request. (The interactive TUI connects MCP servers in the background and offers the
 * model WaitForMcpServers until they are up; headless waits for them before the first turn.)
 */
function claudeEnv(spec: LaunchSpec): Record<string, string> {
  const env = { ...spec.env };
  env.DISABLE_AUTOUPDATER ??= '1';
  env.MCP_TOOL_TIMEOUT ??= String(approvalTimeoutMs(spec.env) + 60_000);
  return env;
}

export const claudeHarness: Harness = {
  name: 'claude',
  completesOnExit: false,
  async launch(spec: LaunchSpec): Promise<AgentProcess> {
    const prompt = writePrompt(spec, 'bus');
    const mcpConfig = writeMcpJson(join(spec.attemptDir, 'mcp.json'), mcpServerEntry(spec));
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
