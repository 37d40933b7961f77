import type {
  InterceptDetail,
  AdoptInput,
  ApprovalEntry,
  ApprovalInput,
  EventMap,
  EventType,
  Annotation,
  AnnotationInput,
  AnnotationQuery,
  BusEvent,
  BusStatus,
  ClaimNextInput,
  EventQuery,
  FailInput,
  HistoryEntry,
  HistoryInput,
  HistoryQuery,
  Instance,
  InstanceStatus,
  Json,
  KvEntry,
  KvSetInput,
  LearningEntry,
  LearningInput,
  Lease,
  Lock,
  LockInput,
  LockResult,
  Message,
  RegisterInput,
  ReserveInput,
  RunClaim,
  RunEntry,
  RunStanding,
  RunInput,
  RunPatch,
  RunPause,
  SendInput,
  Task,
  TaskFilter,
  TaskInput,
  TaskState,
  WakeStats,
} from './types.js';

/** Knobs every backend honours. */
export interface StoreOptions {
  /** An instance silent this long is `stale`. Default 30 s. */
  staleAfterMs?: number;
  /** An instance silent this long is `gone`: its leases and locks are released. Default 120 s. */
  goneAfterMs?: number;
  /** Time source; tests inject one. Default Date.now. */
  now?: () => number;
  /**
   * Claim and complete through the backend's single-transaction fast path (default true). Off, every
   * operation takes the general path, which the fast path must match: tests run the contract both ways.
   */
  fastPath?: boolean;
  /**
   * Period of the backstop poll that wakes waiters when a commit's signal is lost. Default
   * DAEDALUS_WAKE_BACKSTOP_MS, else 1 s; tests make it huge to prove that the signals alone wake
   * every waiter.
   */
  wakeBackstopMs?: number;
}

export interface SweepResult {
  /** Tasks whose lease had lapsed and were returned to ready (or failed when out of attempts). */
  expiredTasks: string[];
  staleInstances: string[];
  goneInstances: string[];
  expiredLocks: number;
}

export interface WaitOptions extends EventQuery {
  timeoutMs: number;
  signal?: AbortSignal;
  /** A further filter in code (e.g. messages addressed to me); non-matching events are skipped. */
  match?: (event: BusEvent) => boolean;
}

export interface WaitResult {
  events: BusEvent[];
  /** Pass as `after` next time: it moves past skipped events too. */
  cursor: number;
  timedOut: boolean;
}

/** Who is on the bus: reservations, adoption, registration, liveness. */
export interface InstanceStore {
  reserveInstance(input: ReserveInput): Promise<Instance>;
  adoptInstance(id: string, input: AdoptInput): Promise<Instance>;
  registerInstance(input: RegisterInput): Promise<Instance>;
  /**
   * Renews liveness; a stale instance becomes live again (`idle` unless a status is given). NOT_FOUND
   * for an unknown or gone one. `intercepted` sticks: later heartbeats keep it whatever they say, and
   * the first one to set it writes `instance.intercepted` (about `taker.taskId`, else the instance's
   * own task; with the pane when given).
   */
  heartbeat(id: string, status?: Exclude<InstanceStatus, 'stale' | 'gone'>, taker?: InterceptDetail): Promise<Instance>;
  /**
   * Marks it gone at once, as sweep does for a silent one: releases its locks, returns its task
   * leases to ready (attempt + 1; the old tokens are refused), writes `instance.gone` and tells
   * whoever reserved it and whoever created those tasks (kind `instance.gone`, from `daedalus`).
   */
  deregisterInstance(id: string, reason?: string): Promise<void>;
  getInstance(id: string): Promise<Instance | null>;
  listInstances(scope: string, opts?: { includeGone?: boolean; role?: string }): Promise<Instance[]>;
}

/** Tasks as records: creation, reads, counts, ranks, cancellation. */
export interface TaskStore {
  createTask(scope: string, input: TaskInput, createdBy?: string | null): Promise<Task>;
  /**
   * All or nothing. `$N` in dependsOn names the N-th task (from 1) of this batch. A task whose
   * dependencies are all done is ready, else blocked; one that depends on a task that already
   * failed or was cancelled under the `cancel` policy is created cancelled. A known idempotency key
   * returns the existing task as it stands (its edges unchanged); an explicit id already taken is
   * INVALID_INPUT.
   */
  createTasks(scope: string, inputs: TaskInput[], createdBy?: string | null): Promise<Task[]>;
  getTask(id: string): Promise<Task | null>;
  listTasks(scope: string, filter?: TaskFilter): Promise<Task[]>;
  /** The runs that have tasks matching the filter, each once: which runs have work, without the tasks. */
  taskRunIds(scope: string, filter?: Pick<TaskFilter, 'runId' | 'states'>): Promise<string[]>;
  /** Cancels a non-final task; dependents follow its dependents policy. Token optional: owners and supervisors. */
  cancelTask(id: string, opts?: { by?: string | null; reason?: string | null }): Promise<Task>;
  /**
   * A person sends a failed or cancelled task back: one more attempt than it had, ready (or blocked
   * until its dependencies are done), event `task.retried`. Dependents cancelled only because it
   * ended badly come back blocked. INVALID_STATE for any other state.
   */
  retryTask(id: string, opts?: { by?: string | null }): Promise<Task>;
  /** How many tasks are in each state, for one run or the whole scope. */
  countTasks(scope: string, runId?: string): Promise<Record<TaskState, number>>;
  /** Sets rank / estimate (the scheduler ranks after creation). */
  setTaskRanks(ranks: { id: string; rank: number; estimateMs?: number | null }[]): Promise<void>;
}

/** Work on a task under a fenced lease: claim, start, renew, complete, fail, give back. */
export interface LeaseStore {
  /**
   * Ready tasks, best first (priority class, then rank, then age), skipping those whose retry
   * backoff (notBefore) has not passed. Lapsed leases of the scope go back to ready first. Null when
   * none is claimable.
   */
  claimNext(input: ClaimNextInput): Promise<Lease | null>;
  /** Claims one ready task by id. INVALID_STATE when it is not ready. */
  claim(id: string, owner: string, leaseMs: number): Promise<Lease>;
  /**
   * leased → running (the agent has started). Renews the lease. A lease past its deadline stays
   * usable until sweep or a claim hands the task to someone else; then its token is LEASE_LOST.
   */
  startTask(id: string, token: string, leaseMs: number): Promise<Task>;
  /** Renews the lease; records progress text when given; leased → running (whichever of this and startTask comes first writes `task.running`). */
  reportProgress(id: string, token: string, leaseMs: number, text?: string | null): Promise<Task>;
  /** → integrating when the task wants integration, else → done (releasing its locks and its dependents). INVALID_STATE when already finished. */
  completeTask(id: string, token: string, result: Json): Promise<Task>;
  /** integrating → done (merged) with the token of the lease that completed it. */
  markIntegrated(id: string, token: string, result?: Json): Promise<Task>;
  /**
   * Retry (ready after backoffMs × 2^(attempt − 1), attempt + 1, event `task.retry`) when retryable
   * and attempts remain, else failed; either way its locks are released.
   */
  failTask(id: string, token: string, input: FailInput): Promise<Task>;
  /** Re-checks the token without changing anything. LEASE_LOST when it is not current. */
  checkLease(id: string, token: string): Promise<Task>;
  /**
   * Gives a held lease back without counting the attempt (the supervisor stopped the agent: Ctrl-C,
   * or a requeue under resource pressure): leased/running → ready, same attempt, locks released.
   */
  yieldTask(id: string, token: string, reason: string): Promise<Task>;
  /**
   * A new owner takes over an `integrating` task (a resumed supervisor finishing what a dead one
   * had started): a fresh token, so the old one is refused from now on.
   */
  adoptIntegration(id: string, owner: string, leaseMs: number): Promise<Lease>;
  /**
   * The attempt holding this token runs as process group pgid on host, started by executor
   * `owner`. Until releaseAttemptProcess, the task cannot be claimed again.
   */
  recordAttemptProcess(id: string, token: string, proc: { pgid: number; host: string; owner: string }): Promise<Task>;
  /**
   * That attempt's process group is dead: the task may be claimed again (a ready one announces
   * itself with task.ready). Null when the record was not that attempt's (already released).
   */
  releaseAttemptProcess(id: string, attempt: number): Promise<Task | null>;
}

/** Messages between instances, roles and everyone. */
export interface MessageStore {
  sendMessage(input: SendInput): Promise<Message>;
  /**
   * Messages for this instance after its cursor; advances the cursor unless peek. Nothing is
   * deleted. Direct and `role:NAME` messages are delivered whenever they were sent (so a role
   * message waits for an instance of that role to join); broadcasts (`*`) only those sent after the
   * reader joined. Nobody receives its own messages.
   */
  pollMessages(instanceId: string, opts?: { limit?: number; peek?: boolean }): Promise<Message[]>;
  /** A scope's messages, newest first, for people (no cursor moves): before an id, to or from one party. */
  listMessages(scope: string, query?: { beforeId?: number; party?: string; limit?: number }): Promise<Message[]>;
}

/** Pauses people put on runs: executors start no new agents for a paused run; running ones go on. */
export interface PauseStore {
  /** Pauses one run, or every run of the scope (runId null). Idempotent: the first pause stands; event `run.paused`. */
  pauseRun(scope: string, runId: string | null, opts?: { by?: string | null; reason?: string | null }): Promise<RunPause>;
  /** Lifts that pause; false when there was none. Event `run.resumed`. A scope-wide pause is lifted with runId null. */
  resumeRun(scope: string, runId: string | null, opts?: { by?: string | null }): Promise<boolean>;
  /** The pauses holding this run back (its own and the scope-wide one); every pause of the scope without a run. */
  listPauses(scope: string, runId?: string | null): Promise<RunPause[]>;
}

/** Advisory file locks. */
export interface LockStore {
  /**
   * path must already be normalised (see normaliseLockPath). Re-entrant: the owner's own locks
   * never conflict, and locking a path again renews it. A lock covers its directory's contents and
   * is blocked by locks inside it. Released by unlock, at its TTL (`lock.released`, reason
   * `expired`), when its task (taskId) ends, or when its owner is gone.
   */
  lock(input: LockInput): Promise<LockResult>;
  unlock(scope: string, path: string, owner: string): Promise<boolean>;
  /** The lock covering this path (itself, a parent directory or a child), if any. */
  checkLock(scope: string, path: string): Promise<Lock[]>;
  listLocks(scope: string): Promise<Lock[]>;
}

/** The shared key-value memory. */
export interface KvStore {
  kvGet(scope: string, key: string): Promise<KvEntry | null>;
  kvSet(scope: string, key: string, value: Json, opts?: KvSetInput): Promise<KvEntry>;
  /** Atomic; creates the array when absent, NOT_AN_ARRAY on any other value; keeps the TTL unless given. */
  kvAppend(scope: string, key: string, item: Json, opts?: { by?: string | null; ttlMs?: number | null }): Promise<KvEntry>;
  kvDelete(scope: string, key: string, opts?: { expectedVersion?: number; by?: string | null }): Promise<boolean>;
  /** Live entries whose key starts with prefix (taken literally: `%` and `_` are plain characters), by key. */
  kvList(scope: string, prefix?: string, limit?: number): Promise<KvEntry[]>;
}

/** Notes pinned to files. */
export interface AnnotationStore {
  annotate(input: AnnotationInput): Promise<Annotation>;
  searchAnnotations(scope: string, query: AnnotationQuery): Promise<Annotation[]>;
}

/** The event log: reading after a cursor, waiting for commits, appending run events. */
export interface EventStore {
  /** Appends an event that is not a side effect of another change (run and supervisor events). */
  recordEvent<T extends EventType>(scope: string, type: T, data: EventMap[T], refs?: { taskId?: string | null; instanceId?: string | null; runId?: string | null }): Promise<void>;
  readEvents(scope: string, query: EventQuery): Promise<BusEvent[]>;
  lastEventId(scope: string): Promise<number>;
  /**
   * Resolves with matching events as soon as any commit (from any process) makes some visible, or
   * with none and `timedOut: true` at the timeout or on abort (it resolves, never rejects). Never
   * polls: each backend has a wake-up source.
   */
  waitForEvents(scope: string, opts: WaitOptions): Promise<WaitResult>;
  /** How this process's waits were woken so far: by commit signals, or by the backstop poll. */
  wakeStats(): WakeStats;
}

/**
 * Plan runs, owned by their supervisors: no agent-facing tool writes them. A run has at most one
 * supervisor at a time, who holds a fencing token from its claim; every later write presents it,
 * and a token superseded by another claim is LEASE_LOST.
 */
export interface RunStore {
  /** Records a new run (and, with `supervisor`, claims it in the same transaction). INVALID_STATE when the id is taken. */
  createRun(input: RunInput): Promise<{ run: RunEntry; token: string | null }>;
  getRun(scope: string, runId: string): Promise<RunEntry | null>;
  /** The run without its plan and policies: who supervises it and how it stands. */
  getRunStanding(scope: string, runId: string): Promise<RunStanding | null>;
  /** Oldest first. */
  listRuns(scope: string, limit?: number): Promise<RunEntry[]>;
  /**
   * Makes this instance the run's supervisor, atomically: exactly one of concurrent claimants
   * wins. It succeeds when the run has no supervisor, the supervisor's claim lapsed, its instance
   * is stale or gone, or the caller vouches that it is dead (`takeOverEpoch`: the epoch the caller
   * saw while it checked, so a claim made since then still wins). Otherwise INVALID_STATE naming
   * the supervisor's pid and host (details: instanceId, pid, host, epoch). Appends the claimant to
   * `supervisors`, raises the epoch and writes `run.claimed`.
   */
  claimRun(scope: string, runId: string, supervisor: string, leaseMs: number, opts?: { takeOverEpoch?: number }): Promise<RunClaim>;
  /** Extends the claim; LEASE_LOST when the token is no longer the run's. */
  renewRun(scope: string, runId: string, token: string, leaseMs: number): Promise<RunStanding>;
  /** Changes status, agent count or finish time; LEASE_LOST when the token is no longer the run's. */
  updateRun(scope: string, runId: string, token: string, patch: RunPatch): Promise<RunStanding>;
  /** Gives the run up (the supervisor exits); false when the token was no longer the run's. */
  releaseRun(scope: string, runId: string, token: string): Promise<boolean>;
  /**
   * Replaces a growing run's plan, policies and digest (a planner's run gets packages with each
   * spawn), only when the digest is still `expectedDigest`; VERSION_CONFLICT otherwise. The run is
   * running again, whatever it had come to. Writes `run.extended`.
   */
  extendRun(scope: string, runId: string, next: { plan: Json; policies: Json; digest: string; expectedDigest: string }): Promise<RunEntry>;
}

/**
 * Permission requests that wait for a person. Agents create them (through the permission prompt
 * tool) but no agent-facing tool decides them: a person does, through the CLI.
 */
export interface ApprovalStore {
  /** A pending request that expires timeoutMs from now; writes `approval.requested`. */
  createApproval(input: ApprovalInput): Promise<ApprovalEntry>;
  getApproval(scope: string, id: string): Promise<ApprovalEntry | null>;
  /** Oldest first; with pendingOnly, only those still pending and not expired. */
  listApprovals(scope: string, opts?: { pendingOnly?: boolean; limit?: number }): Promise<ApprovalEntry[]>;
  /**
   * pending → allowed or denied, once: NOT_FOUND for an unknown id, INVALID_STATE when already
   * decided. Writes `approval.decided` in the same transaction, which is what the waiting agent
   * wakes on.
   */
  decideApproval(scope: string, id: string, status: 'allowed' | 'denied', o: { by: string; message?: string | null }): Promise<ApprovalEntry>;
}

/** Finished tasks' figures, by type, for estimates and learning. */
export interface HistoryStore {
  recordHistory(entry: HistoryInput): Promise<void>;
  listHistory(scope: string, query?: HistoryQuery): Promise<HistoryEntry[]>;
}

/** Learnings per task type (learner after each run, planners' learn_parallelization). */
export interface LearningStore {
  recordLearning(entry: LearningInput): Promise<LearningEntry>;
  /** Newest first; `type` narrows to one task type. */
  listLearnings(scope: string, query?: { type?: string; limit?: number }): Promise<LearningEntry[]>;
  /** Forgets what was learned (of one type, or all); returns how many entries went. */
  resetLearnings(scope: string, query?: { type?: string }): Promise<number>;
}

/**
 * The bus: the single source of truth of a swarm. Every method is one transaction; every change
 * appends its events in that same transaction; nothing is acknowledged before it commits.
 * Every method takes the scope explicitly (or resolves it from the row) and never crosses scopes.
 *
 * Errors are DaedalusError with codes: NOT_FOUND, LEASE_LOST (token is not the current attempt's),
 * INVALID_STATE, CYCLE, UNKNOWN_DEPENDENCY, VERSION_CONFLICT, NOT_AN_ARRAY, ALREADY_ADOPTED,
 * INVALID_INPUT.
 */
export interface Store
  extends InstanceStore,
    TaskStore,
    LeaseStore,
    MessageStore,
    PauseStore,
    LockStore,
    KvStore,
    AnnotationStore,
    EventStore,
    HistoryStore,
    LearningStore,
    RunStore,
    ApprovalStore {
  readonly backend: 'sqlite' | 'postgres';
  /** Address as given (`sqlite:/path` or a postgres URL with the password removed). */
  readonly address: string;
  /**
   * Lapsed task leases → ready (or failed when out of attempts); instances silent past staleAfterMs
   * → stale, past goneAfterMs → gone (see deregisterInstance), unadopted reservations past their
   * lease → gone; expired locks and kv removed, and approval requests a week after they ended;
   * attempt processes of executors that are gone released (an executor's agents die with it).
   */
  sweep(): Promise<SweepResult>;
  status(scope: string): Promise<BusStatus>;
  /** Idempotent. */
  close(): Promise<void>;
}
