import type { Package } from '../plan/index.js';

/**
 * What a harness needs to start one agent on one task. The same for every agent CLI: the shell
 * and script harnesses now, Claude Code and Codex later.
 */
export interface LaunchSpec {
  runId: string;
  /** The bus task id. */
  taskId: string;
  attempt: number;
  pkg: Package;
  /** The task's worktree: the agent's working directory. */
  worktree: string;
  /** DAEDALUS_* identity and lease, plus the package's own env. */
  env: Record<string, string>;
  /** A directory for this attempt's files (prompt, MCP config, logs), outside the worktree. */
  attemptDir: string;
  /** How to run `daedalus` itself (for the agent's MCP server): argv prefix. */
  daedalus: string[];
  /** Why the previous attempt ended, for a retry's prompt. */
  previousError?: string | null;
  /**
   * A session of the supervisor's MCP host for this agent (see agentMcpEntry), opened on first
   * call; absent when the supervisor hosts none. Harnesses whose CLI speaks streamable HTTP use it.
   */
  hostedMcp?: () => Promise<{ url: string; token: string }>;
}

/** Normalised things an agent says while it runs, for the overseer and the progress view. */
export type HarnessEvent =
  | { kind: 'output'; text: string }
  | { kind: 'progress'; text: string }
  | { kind: 'usage'; costUsd?: number; inputTokens?: number; outputTokens?: number; model?: string }
  /** The agent's own account of what went wrong (an API error, a failed turn), in one line. */
  | { kind: 'error'; text: string }
  | { kind: 'session'; id: string }
  /** A person typed into the agent's pane (interactive mode): they have taken it over. Once per attempt. */
  | { kind: 'intercepted'; pane: string };

/** How an agent process ended: processes as data. */
export interface ProcessEnd {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  /** The last lines of output, for failure reports. */
  tail: string;
  /** Why the harness ended it, when it did (the MCP server never connected, say). */
  notes?: string[];
}

export interface AgentProcess {
  /** Process group id (the group leader's pid): kill, pause and measure the whole tree by it. */
  readonly pgid: number;
  readonly startedAt: number;
  onEvent(listener: (e: HarnessEvent) => void): void;
  readonly exited: Promise<ProcessEnd>;
  /** SIGTERM to the group, then SIGKILL after graceMs. Resolves when the leader has exited. */
  terminate(graceMs?: number): Promise<ProcessEnd>;
}

export interface Harness {
  readonly name: string;
  /**
   * True when a clean exit is the agent's way of saying done (a shell command); false when the
   * agent completes through the bus (complete_task) and exiting without it is a failure.
   */
  readonly completesOnExit: boolean;
  launch(spec: LaunchSpec): Promise<AgentProcess>;
}
