/**
 * Domain types of the bus. Every time is integer milliseconds since the epoch; every JSON value
 * is a plain JSON-serialisable value. Nothing here knows which backend is running.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Any plain value as JSON, the way it would be stored: undefined fields dropped, dates as strings. */
export function toPlainJson(value: unknown): Json {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as Json);
}

// ---------------------------------------------------------------------------------- instances

/**
 * `intercepted`: a person has typed into the agent's pane and taken it over. It sticks until the
 * instance is gone (its own heartbeats do not clear it), so the supervisor leaves it alone.
 */
export type InstanceStatus = 'idle' | 'working' | 'blocked' | 'intercepted' | 'stale' | 'gone';
/** Roles with a policy; any other role string is allowed and gets the worker policy. */
export type KnownRole = 'supervisor' | 'planner' | 'worker' | 'observer';

/** Where a takeover happened: the pane typed into and the task its agent works on. */
export interface InterceptDetail {
  pane?: string | null;
  taskId?: string | null;
}

export interface Instance {
  id: string;
  scope: string;
  role: string;
  label: string;
  status: InstanceStatus;
  /** False while reserved by a supervisor and not yet taken up by the agent's MCP server. */
  adopted: boolean;
  pid: number | null;
  host: string | null;
  /** Root that this instance's lock paths are relative to (its worktree, or the scope root). */
  fileRoot: string | null;
  /** The instance that reserved this one (told when it goes). */
  reservedBy: string | null;
  /** For an unadopted reservation: when it lapses if nobody adopts it. */
  leaseUntil: number | null;
  /** The task this instance was started for, when a supervisor started it. */
  taskId: string | null;
  heartbeatAt: number;
  registeredAt: number;
  meta: Json;
}

export interface ReserveInput {
  scope: string;
  role: string;
  label?: string;
  reservedBy?: string | null;
  fileRoot?: string | null;
  taskId?: string | null;
  /** How long the reservation waits for adoption. */
  leaseMs: number;
  id?: string;
  meta?: Json;
}

export interface RegisterInput {
  scope: string;
  role: string;
  label?: string;
  pid?: number | null;
  host?: string | null;
  fileRoot?: string | null;
  id?: string;
  meta?: Json;
}

export interface AdoptInput {
  pid?: number | null;
  host?: string | null;
}

// ---------------------------------------------------------------------------------- tasks

export type TaskState =
  | 'blocked'
  | 'ready'
  | 'leased'
  | 'running'
  | 'integrating'
  | 'done'
  | 'failed'
  | 'cancelled';

export const TASK_STATES: readonly TaskState[] = [
  'blocked',
  'ready',
  'leased',
  'running',
  'integrating',
  'done',
  'failed',
  'cancelled',
];
export const FINAL_TASK_STATES: readonly TaskState[] = ['done', 'failed', 'cancelled'];
/** Not final yet: blocked ones included. */
export const OPEN_TASK_STATES: readonly TaskState[] = ['blocked', 'ready', 'leased', 'running', 'integrating'];
/** Being worked on or about to be: what keeps a run's executor going (blocked ones wait on others). */
export const LIVE_TASK_STATES: readonly TaskState[] = ['ready', 'leased', 'running', 'integrating'];

/** The kinds of work a task (a plan's package) can be; the learner keeps its figures by type. */
export const TASK_TYPES = ['implementation', 'refactor', 'test', 'research', 'review', 'fix', 'other'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/**
 * Why a task or attempt ended badly, as Daedalus classifies it. `unspecified` is a failure nobody
 * classified (a bare failTask).
 */
export const DAEDALUS_FAILURE_KINDS = [
  'timeout',
  'oom',
  'crash',
  'exit-code',
  'lease-lost',
  'scope',
  'conflict',
  'setup',
  'integrate',
  /** A changed file over the plan's size limit. */
  'too-large',
  /** The agent said it changed files its branch does not change. */
  'claim-mismatch',
  /** Merged cleanly, but the plan's verify commands failed on the result: the merge was undone. */
  'verify',
  'unspecified',
] as const;
export type DaedalusFailureKind = (typeof DAEDALUS_FAILURE_KINDS)[number];
/**
 * A failure an agent declared itself with fail_task: `agent`, or `agent:KIND` with the kind it
 * named (`agent:blocked`, `agent:tests`). Kept apart from ours, so an agent cannot pass its own
 * failure off as, say, a merge conflict.
 */
export type AgentFailureKind = 'agent' | `agent:${string}`;
export type FailureKind = DaedalusFailureKind | AgentFailureKind;

/** How one attempt ended: success, a failure kind, or stopped by Daedalus without counting. */
export type AttemptOutcomeKind = 'success' | 'stopped' | 'requeued' | 'cancelled' | FailureKind;

export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** What happens to a task's dependents when it fails for good or is cancelled. */
export type DependentsPolicy = 'cancel' | 'keep';

export interface Task {
  id: string;
  scope: string;
  runId: string | null;
  /** A human name: the package id inside a plan. */
  key: string | null;
  type: string;
  title: string;
  description: string;
  /** The work package or any structured input. */
  payload: Json;
  state: TaskState;
  priority: Priority;
  /** Scheduling rank inside the priority class; higher is claimed first. */
  rank: number;
  estimateMs: number | null;
  /** Attempt number of the current (or next) try, from 1. */
  attempt: number;
  maxAttempts: number;
  dependentsPolicy: DependentsPolicy;
  /** When true, a completed task goes to `integrating` and the run merges it before `done`. */
  integrate: boolean;
  /** An instance id or `role:NAME`; only that may claim it. Null: anyone. */
  assignee: string | null;
  leaseOwner: string | null;
  leaseUntil: number | null;
  /** Earliest time the task may be claimed (retry backoff). */
  notBefore: number | null;
  progress: string | null;
  result: Json;
  error: string | null;
  /** Why it ended badly. */
  failureKind: FailureKind | null;
  idempotencyKey: string | null;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  dependsOn: string[];
  /**
   * The process group of the attempt an executor started, until that executor has seen it dead.
   * While it is set the task cannot be claimed again.
   */
  process: AttemptProcess | null;
}

/** Where an attempt's agent runs: kill and wait for this group before the task runs again. */
export interface AttemptProcess {
  pgid: number;
  host: string;
  /** The executor instance that started it (when it is gone, so are its agents). */
  owner: string;
  attempt: number;
}

export interface TaskInput {
  id?: string;
  runId?: string | null;
  key?: string | null;
  type?: string;
  title: string;
  description?: string;
  payload?: Json;
  priority?: Priority;
  rank?: number;
  estimateMs?: number | null;
  maxAttempts?: number;
  dependentsPolicy?: DependentsPolicy;
  integrate?: boolean;
  assignee?: string | null;
  /** Task ids, or `$N` for the N-th task (from 1) of the same batch. */
  dependsOn?: string[];
  idempotencyKey?: string | null;
}

/** What a successful claim gives: the task and the fencing token every later mutation presents. */
export interface Lease {
  task: Task;
  token: string;
  leaseUntil: number;
}

export interface ClaimNextInput {
  scope: string;
  owner: string;
  leaseMs: number;
  types?: string[];
  runId?: string;
  /** Role of the owner, so tasks assigned to `role:NAME` can be claimed. */
  role?: string;
  /** Tasks with these keys are passed over (a scheduler keeping packages that overlap apart). */
  excludeKeys?: string[];
}

export interface FailInput {
  error: string;
  retryable: boolean;
  /** Default `unspecified`. */
  kind?: FailureKind;
  /** What is known of the failed work (files changed, say): kept as the task's result. */
  result?: Json;
  /** Base backoff before a retry; doubled per attempt. Default 1000. */
  backoffMs?: number;
}

export interface TaskFilter {
  runId?: string;
  states?: TaskState[];
  type?: string;
  leaseOwner?: string;
  limit?: number;
  /** Lists only the tasks after this one in the listing's order (created, then id): the next page. */
  after?: Pick<Task, 'createdAt' | 'id'>;
}

// ---------------------------------------------------------------------------------- messages

export interface Message {
  id: number;
  scope: string;
  from: string;
  /** An instance id, `role:NAME` or `*`. */
  to: string;
  kind: string;
  body: string;
  taskId: string | null;
  data: Json;
  at: number;
}

export interface SendInput {
  scope: string;
  from: string;
  to: string;
  body: string;
  kind?: string;
  taskId?: string | null;
  data?: Json;
}

// ---------------------------------------------------------------------------------- locks

export interface Lock {
  scope: string;
  /** Normalised, relative, posix; `.` is the whole root. */
  path: string;
  owner: string;
  taskId: string | null;
  reason: string;
  acquiredAt: number;
  expiresAt: number;
}

export interface LockInput {
  scope: string;
  path: string;
  owner: string;
  taskId?: string | null;
  reason?: string;
  ttlMs: number;
}

export type LockResult = { ok: true; lock: Lock } | { ok: false; holder: Lock };

// ---------------------------------------------------------------------------------- kv

export interface KvEntry {
  key: string;
  value: Json;
  version: number;
  updatedBy: string | null;
  updatedAt: number;
  expiresAt: number | null;
}

export interface KvSetInput {
  /** 0: the key must not exist yet. Absent: unconditional. */
  expectedVersion?: number;
  ttlMs?: number | null;
  by?: string | null;
}

// ---------------------------------------------------------------------------------- runs

export type RunStatus = 'running' | 'interrupted' | 'done' | 'failed' | 'partial';

/**
 * A plan run as the bus keeps it, in a table no agent tool writes: what was validated when it was
 * created (plan, permission policies, repository, and a digest over them), how it stands, and who
 * supervises it. The bus stores plan and policies as given; their shapes belong to the run and
 * approvals code.
 */
export interface RunEntry {
  id: string;
  scope: string;
  plan: Json;
  policies: Json;
  /** Over plan, policies and repository, computed by whoever created the run; checked on resume. */
  digest: string;
  repo: string;
  maxAgents: number;
  status: RunStatus;
  startedAt: number;
  finishedAt: number | null;
  /** The instance supervising it now; null once released. */
  supervisor: string | null;
  /** The supervisor's claim lapses at this time unless renewed. */
  supervisorUntil: number | null;
  /** Counts claims: the n-th supervisor holds epoch n. */
  epoch: number;
  /** Every instance that claimed it, oldest first. */
  supervisors: string[];
  updatedAt: number;
}

/**
 * A run as its supervisor's renewals and updates return it: everything but the plan and policies.
 * A supervisor renews every few seconds, and the plan of a 5,000-package run is megabytes of JSON
 * that would be read and parsed each time for nothing.
 */
export type RunStanding = Omit<RunEntry, 'plan' | 'policies'>;

export interface RunInput {
  scope: string;
  id: string;
  plan: Json;
  policies: Json;
  digest: string;
  repo: string;
  maxAgents: number;
  status?: RunStatus;
  startedAt?: number;
  /** Claims the new run for this instance in the same transaction. */
  supervisor?: { id: string; leaseMs: number } | null;
}

/** A claim on a run: the fencing token every later write of its supervisor presents. */
export interface RunClaim {
  run: RunEntry;
  token: string;
}

/** What a supervisor may change about its run; plan, policies and repository never change. */
export interface RunPatch {
  status?: RunStatus;
  maxAgents?: number;
  finishedAt?: number | null;
}

// ---------------------------------------------------------------------------------- approvals

export type ApprovalStatus = 'pending' | 'allowed' | 'denied';

/** A permission request waiting for a person (or decided by one, or denied at its timeout). */
export interface ApprovalEntry {
  id: string;
  scope: string;
  tool: string;
  input: Json;
  /** One line for the person deciding: `Bash(rm -rf build)`. */
  summary: string;
  taskId: string | null;
  runId: string | null;
  instanceId: string | null;
  status: ApprovalStatus;
  requestedAt: number;
  /** Denied by the waiting agent at this time if nobody decides. */
  expiresAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  message: string | null;
}

export interface ApprovalInput {
  scope: string;
  tool: string;
  input: Json;
  summary: string;
  taskId?: string | null;
  runId?: string | null;
  instanceId?: string | null;
  timeoutMs: number;
}

// ---------------------------------------------------------------------------------- annotations

export type AnnotationKind =
  | 'finding'
  | 'warning'
  | 'note'
  | 'bug'
  | 'todo'
  | 'progress'
  | 'usage'
  | 'hazard';
export const ANNOTATION_KINDS: readonly AnnotationKind[] = [
  'finding',
  'warning',
  'note',
  'bug',
  'todo',
  'progress',
  'usage',
  'hazard',
];

export interface Annotation {
  id: number;
  scope: string;
  file: string;
  line: number | null;
  kind: AnnotationKind;
  text: string;
  by: string | null;
  taskId: string | null;
  at: number;
}

export interface AnnotationInput {
  scope: string;
  file: string;
  line?: number | null;
  kind: AnnotationKind;
  text: string;
  by?: string | null;
  taskId?: string | null;
}

export interface AnnotationQuery {
  file?: string;
  kind?: AnnotationKind;
  text?: string;
  limit?: number;
}

// ---------------------------------------------------------------------------------- events

/**
 * Event types and the fields their `data` carries. One map for the CLI progress view, the
 * dashboard and wait_for_activity.
 */
export interface EventMap {
  'instance.reserved': { role: string };
  'instance.adopted': { role: string; pid: number | null };
  'instance.registered': { role: string; pid: number | null };
  'instance.stale': Record<string, never>;
  /** A person typed into the agent's pane (the pane's tmux id); the instance is `intercepted` from now on. */
  'instance.intercepted': { pane: string | null };
  'instance.gone': { reason: string; releasedTasks: string[]; releasedLocks: number };
  'task.created': { state: TaskState; key: string | null };
  'task.ready': Record<string, never>;
  'task.leased': { owner: string; attempt: number };
  'task.running': { owner: string; attempt: number };
  'task.progress': { text: string | null };
  'task.integrating': Record<string, never>;
  /**
   * Another host executed the task and pushed its branch to the shared git remote: the run's
   * owner fetches and merges it (docs/multi-machine.md). `base` is the integration head it started from.
   */
  'task.pushed': { host: string; remote: string; branch: string; head: string; base: string; attempt: number };
  'task.done': Record<string, never>;
  /**
   * Back to ready for another attempt (claimable from notBefore when set); no task.ready follows.
   * `kind` classifies the failure that caused it (absent in events written before it was added).
   */
  'task.retry': { attempt: number; reason: string; notBefore: number | null; kind?: FailureKind };
  /** A person sent a failed or cancelled task back (retryTask): ready, or blocked on its dependencies. */
  'task.retried': { by: string | null; attempt: number; state: TaskState };
  'task.failed': { error: string; kind: FailureKind | null };
  'task.cancelled': { by: string | null; reason: string | null };
  'message.sent': { id: number; to: string; from: string };
  'lock.acquired': { path: string; owner: string };
  'lock.released': { path: string; owner: string; reason: string };
  'kv.set': { key: string; version: number };
  'kv.deleted': { key: string };
  'annotation.added': { file: string; kind: AnnotationKind };
  'task.yielded': { reason: string };
  'task.adopted': { owner: string };
  'run.started': { plan: string; maxAgents: number; resumed: boolean };
  'run.finished': { status: string; summary: Json };
  /** No new agents start for this run (runId null: every run of the scope) until it is resumed. */
  'run.paused': { by: string | null; reason: string | null };
  'run.resumed': { by: string | null };
  /** A supervisor decision worth a line in the log: resource gate, budget, stop, conflict. */
  'run.decision': { kind: string; reason: string; data?: Json };
  /**
   * One run of the verify gate after a merge, or after a batch of merges (`packages` lists them,
   * `package` joins them with commas): whether it passed and how long it took.
   */
  'run.verify': { package: string; packages?: string[]; ok: boolean; duration_ms: number; failed: string | null; exit_code: number | null; timed_out: boolean };
  /** A supervisor took the run over (epoch counts the claims). */
  'run.claimed': { supervisor: string; epoch: number };
  /** A growing run (a planner's) got more packages: it has this many now. */
  'run.extended': { packages: number };
  'approval.requested': { id: string; summary: string };
  /** What a waiting agent wakes on. */
  'approval.decided': { id: string; status: 'allowed' | 'denied'; by: string };
}
export type EventType = keyof EventMap;

/** One event of one type, its data typed by the map. */
export interface BusEventOf<T extends EventType> {
  id: number;
  scope: string;
  type: T;
  at: number;
  taskId: string | null;
  instanceId: string | null;
  runId: string | null;
  data: EventMap[T];
}

/** Any event: a union over the map, so checking `type` narrows `data` without a cast. */
export type BusEvent = { [T in EventType]: BusEventOf<T> }[EventType];

export interface EventQuery {
  /** Only events with an id greater than this. */
  after: number;
  /** Type names or prefixes ending in `.` (e.g. `task.`). */
  types?: string[];
  taskIds?: string[];
  instanceIds?: string[];
  runId?: string;
  limit?: number;
  /** The last `limit` matching events (still in id order) instead of the first after the cursor. */
  newest?: boolean;
}

// ---------------------------------------------------------------------------------- pauses

/** A pause a person put on a run, or (runId null) on every run of a scope. */
export interface RunPause {
  scope: string;
  runId: string | null;
  by: string | null;
  reason: string | null;
  at: number;
}

// ---------------------------------------------------------------------------------- history

/** One finished attempt's figures, kept by type so estimates can fall back to them. */
export interface HistoryEntry {
  scope: string;
  type: string;
  taskId: string | null;
  runId: string | null;
  /** Which attempt of the task; null in entries written before attempts were counted. */
  attempt: number | null;
  outcome: AttemptOutcomeKind;
  durationMs: number;
  peakRssBytes: number | null;
  cpuMs: number | null;
  /** What the agent reported spending (real agents), failed attempts included. */
  costUsd: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  model: string | null;
  at: number;
}

/** The optional figures of a history entry may be left out when recording. */
export type HistoryInput = Omit<HistoryEntry, 'at' | 'attempt' | 'costUsd' | 'inputTokens' | 'outputTokens' | 'model'> &
  Partial<Pick<HistoryEntry, 'at' | 'attempt' | 'costUsd' | 'inputTokens' | 'outputTokens' | 'model'>>;

/**
 * One thing learned about a task type: from a finished run's attempts (`run`), or a planner's
 * `learn_parallelization` call (`planner`). Figures a source did not measure are null.
 */
export interface LearningEntry {
  id: number;
  scope: string;
  taskType: string;
  source: 'run' | 'planner';
  runId: string | null;
  /** Who wrote it: the planner's instance, or the run's supervisor. */
  author: string | null;
  attempts: number;
  successes: number;
  /** Median duration of the successful attempts. */
  durationMs: number | null;
  /** Median CPU cores one agent of the type kept busy. */
  cpuCores: number | null;
  /** The largest peak memory one agent of the type reached. */
  peakRssBytes: number | null;
  /** Mean number of the type's attempts that ran at once (time-weighted). */
  concurrency: number | null;
  /**
   * Throughput when run together relative to run alone, per agent: 1 = no slowdown, 0.5 = two at
   * once take twice as long each (no gain). From a planner: its judgement on the same scale.
   */
  parallelBenefit: number | null;
  /** Median duration by how many of the type ran at once: `{ "1": 4000, "3": 9000 }`. */
  byConcurrency: Record<string, number> | null;
  /** A planner's estimate of what one task costs to run (free form: memory_mb, cpu_cores, …). */
  resourceCost: Json | null;
  notes: string | null;
  at: number;
}

export type LearningInput = Omit<LearningEntry, 'id' | 'at'> & { at?: number };

export interface HistoryQuery {
  type?: string;
  runId?: string;
  /** Newest first; default 100. */
  limit?: number;
}

export interface BusStatus {
  instances: Instance[];
  tasksByState: Record<TaskState, number>;
  locks: Lock[];
  lastEventId: number;
  /** Wake-ups of the whole bus (every scope, every process) that only the backstop poll delivered. */
  wakes: { backstopWakes: number; lastBackstopAt: number | null };
}

/** How this process's waits are woken (Store.wakeStats). */
export interface WakeStats {
  /** file-watch: a doorbell file next to the SQLite database (inotify on Linux); listen: PostgreSQL LISTEN/NOTIFY. */
  mechanism: 'file-watch' | 'listen';
  /** False until a first wait starts the wake-up source, and while it is down. */
  armed: boolean;
  /** Commits whose signal woke this process's waiters. */
  pushes: number;
  /** Commits whose signal never came, so the backstop poll had to wake the waiters. */
  backstopWakes: number;
  lastBackstopAt: number | null;
  /** Times the source was re-armed after a gap (a listener reconnected, a watch restarted). */
  rearms: number;
  backstopMs: number;
}
