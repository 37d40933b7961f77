import type { Store } from '../bus/index.js';
import type { Logger } from './log.js';

/** Knobs of one MCP server; every field has a default in DEFAULT_OPTIONS. */
export interface McpOptions {
  /** Task lease length granted on claim and on every renewal. */
  leaseMs: number;
  /** Tool calls renew held leases at most this often, so a chatty agent does not write on every call. */
  renewEveryMs: number;
  /** Instance heartbeat period of runMcpServer. */
  heartbeatMs: number;
  /** How often runMcpServer sweeps the bus (lapsed leases, silent instances, expired locks). */
  sweepMs: number;
  waitDefaultMs: number;
  waitMaxMs: number;
  /** Progress notifications during a long wait, so clients with tool-call timeouts keep it alive. */
  progressEveryMs: number;
  lockTtlDefaultMs: number;
  lockTtlMaxMs: number;
  /** Cap on each argument value (a string, a JSON value, or one element of an array). */
  maxValueBytes: number;
  /** Cap on all arguments of one call together. */
  maxRequestBytes: number;
}

export const DEFAULT_OPTIONS: McpOptions = {
  leaseMs: 10 * 60_000,
  renewEveryMs: 30_000,
  heartbeatMs: 5_000,
  sweepMs: 15_000,
  // Under the SDK clients' default 60 s request timeout, for clients that send no progressToken.
  waitDefaultMs: 50_000,
  waitMaxMs: 300_000,
  progressEveryMs: 10_000,
  lockTtlDefaultMs: 10 * 60_000,
  lockTtlMaxMs: 60 * 60_000,
  maxValueBytes: 256 * 1024,
  maxRequestBytes: 1024 * 1024,
};

/** Who this server speaks for once registered or adopted. */
export interface Identity {
  id: string;
  role: string;
  label: string;
  scope: string;
  fileRoot: string;
  /**
   * True when a supervisor reserved the instance and this server adopted it: the supervisor owns
   * its life, so the server does not deregister it on exit.
   */
  adopted: boolean;
}

/** A lease the server holds for its agent; agents never see the token. */
export interface HeldLease {
  token: string;
  renewedAt: number;
}

/** Per-process state: one MCP server serves one agent. */
export interface Session {
  identity: Identity | null;
  /** DAEDALUS_INSTANCE_ID whose adoption has not succeeded yet (retried on the next calls). */
  pendingAdoption: { instanceId: string; reason: string } | null;
  /** Why the identity was lost (instance declared gone), told on the next call. */
  lostReason: string | null;
  leases: Map<string, HeldLease>;
  currentTaskId: string | null;
  /** Event cursor of wait_for_activity; starts at registration / adoption. */
  cursor: number;
  /** Lines appended to the next tool result (a lease lost during a renewal, an identity lost). */
  notices: string[];
  /** Task ids known to concern (true) or not concern (false) this instance; see activity.ts. */
  taskRelevance: Map<string, boolean>;
  /**
   * Tasks this agent just created ready: the store emits their task.ready without an instance, so
   * the creator would otherwise be told about its own creation.
   */
  createdReady: Set<string>;
  /** Lock paths this agent was refused; their release is reported by wait_for_activity. */
  awaitedLocks: Set<string>;
}

export interface McpContext {
  store: Store;
  /** The bus as this server was told it (`--bus`), for a worker it starts; none: the default. */
  busArg?: string;
  /** $DAEDALUS_HOME of this server: where a worker it starts keeps worktrees and logs. */
  home?: string;
  /** The environment the server was started with (a worker it starts inherits it, minus identity). */
  env?: NodeJS.ProcessEnv;
  /** Scope for a `register` call; an adopted instance brings its own. */
  scope: string;
  /** Root that lock and annotation paths are relative to. */
  fileRoot: string;
  fileRootFromEnv: boolean;
  /** Role `register` uses when the caller gives none (DAEDALUS_ROLE). */
  defaultRole: string;
  /** Run id given to tasks created without one (DAEDALUS_RUN_ID). */
  runId: string | null;
  /**
   * Set when Daedalus started the agent (DAEDALUS_INSTANCE_ID, with DAEDALUS_TASK_ID): the one
   * instance this server may speak for, and the task whose permissions apply. No tool changes it,
   * so such an agent cannot take another role, another scope or another task's permissions.
   */
  startedFor: { instanceId: string; taskId: string | null } | null;
  pid: number;
  host: string;
  session: Session;
  options: McpOptions;
  now: () => number;
  log: Logger;
}

export function newSession(): Session {
  return {
    identity: null,
    pendingAdoption: null,
    lostReason: null,
    leases: new Map(),
    currentTaskId: null,
    cursor: 0,
    notices: [],
    taskRelevance: new Map(),
    awaitedLocks: new Set(),
    createdReady: new Set(),
  };
}
