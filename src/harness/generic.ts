import { join } from 'node:path';
import { launchInPane } from './interactive.js';
import { mcpServerEntry, shQuote, writeMcpJson, writePrompt } from './launch.js';
import { DaedalusError } from '../common/index.js';
import { spawnGroup } from './spawn.js';
import type { AgentProcess, Harness, HarnessEvent, LaunchSpec, ProcessEnd } from './types.js';

/**
 * What the agent-CLI harnesses share — headless under the process-group guard or visible in a tmux
 * pane, and notes that explain an ending — and the generic harness: any agent CLI started from a
 * command template, completing through the bus like the others.
 */

export interface AgentCommand {
  command: string;
  /** Headless: the full argv (prompt included). */
  args: string[];
  /** Interactive: the argv without the prompt, which the pane's launcher reads from promptFile. */
  interactiveArgs?: string[];
  promptFile: string;
  env: Record<string, string>;
  parseLine?: (line: string) => HarnessEvent[];
}

export function startAgent(spec: LaunchSpec, cmd: AgentCommand): Promise<AgentProcess> {
  if (spec.pkg.mode === 'interactive') {
    return launchInPane(spec, { command: cmd.command, args: cmd.interactiveArgs ?? [], promptFile: cmd.promptFile, env: cmd.env });
  }
  return spawnGroup(cmd.command, cmd.args, { cwd: spec.worktree, env: cmd.env, logFile: join(spec.attemptDir, 'output.log'), parseLine: cmd.parseLine });
}

/**
 * Why an agent was stopped, put at the end of its tail: the executor quotes the tail in the task's
 * error, so "the daedalus MCP server did not connect: …" reaches whoever reads the failure.
 */
export class EndNotes {
  private readonly lines: string[] = [];

  add(line: string): void {
    if (!this.lines.includes(line)) this.lines.push(line);
  }

  private apply = (end: ProcessEnd): ProcessEnd =>
    this.lines.length === 0 ? end : { ...end, tail: `${end.tail}\n${this.lines.join('\n')}`.trim(), notes: [...this.lines] };

  wrap(proc: AgentProcess): AgentProcess {
    return {
      pgid: proc.pgid,
      startedAt: proc.startedAt,
      onEvent: (l) => proc.onEvent(l),
      exited: proc.exited.then(this.apply),
      terminate: (graceMs) => proc.terminate(graceMs).then(this.apply),
    };
  }
}

/** Fills only the placeholders we define, each as one shell word; other braces (`${VAR}`) are left to the shell. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string, offset: number) => {
    if (template[offset - 1] === '$') return whole;
    return name in values ? shQuote(values[name]!) : whole;
  });
}

export const genericHarness: Harness = {
  name: 'generic',
  completesOnExit: false,
  launch(spec: LaunchSpec): Promise<AgentProcess> {
    const template = spec.pkg.run ?? spec.env.DAEDALUS_GENERIC_COMMAND;
    if (!template?.trim()) {
      throw new DaedalusError(
        'PLAN_INVALID',
        `package ${spec.pkg.id} uses harness generic but has no command`,
        'add run: "my-agent --prompt-file {prompt_file} --mcp-config {mcp_config}" (or env DAEDALUS_GENERIC_COMMAND)',
      );
    }
    const prompt = writePrompt(spec, 'bus');
    const mcpConfig = writeMcpJson(join(spec.attemptDir, 'mcp.json'), mcpServerEntry(spec));
    const command = fillTemplate(template, {
      prompt_file: prompt.file,
      worktree: spec.worktree,
      mcp_config: mcpConfig,
      task_id: spec.taskId,
      run_id: spec.runId,
      attempt_dir: spec.attemptDir,
    });
    const env = { ...spec.env, DAEDALUS_PROMPT_FILE: prompt.file, DAEDALUS_MCP_CONFIG: mcpConfig };
    if (spec.pkg.mode === 'interactive') return launchInPane(spec, { command: '/bin/sh', args: ['-c', command], env });
    return spawnGroup('/bin/sh', ['-c', command], { cwd: spec.worktree, env, logFile: join(spec.attemptDir, 'output.log') });
  },
};
