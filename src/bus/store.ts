import type {
  AdoptInput,
  Annotation,
  AnnotationInput,
  AnnotationQuery,
  BusEvent,
  BusStatus,
  ClaimNextInput,
  EventQuery,
  FailInput,
  HistoryEntry,
  Instance,
  InstanceStatus,
  Json,
  KvEntry,
  KvSetInput,
  Lease,
  Lock,
  LockInput,
  LockResult,
  Message,
  RegisterInput,
  ReserveInput,
  SendInput,
  Task,
  TaskFilter,
  TaskInput,
} from './types.js';

/** Knobs every backend honours. */
export interface StoreOptions {
  /** An instance silent this long is `stale`. Default 30 s. */
  staleAfterMs?: number;
  /** An instance silent this long is `gone`: its leases and locks are released. Default 120 s. */
  goneAfterMs?: number;
  /** Time source; tests inject one. Default Date.now. */
  now?: () => number;
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

/**
 * The bus: the single source of truth of a swarm. Every method is one transaction; every change
 * appends its events in that same transaction; nothing is acknowledged before it commits.
 * Every method takes the scope explicitly (or resolves it from the row) and never crosses scopes.
 *
 * Errors are DaedalusError with codes: NOT_FOUND, LEASE_LOST (token is not the current attempt's),
 * INVALID_STATE, CYCLE, UNKNOWN_DEPENDENCY, VERSION_CONFLICT, NOT_AN_ARRAY, ALREADY_ADOPTED,
 * INVALID_INPUT.
 */
export interface Store {
  readonly backend: 'sqlite' | 'postgres';
  /** Address as given (`sqlite:/path` or a postgres URL with the password removed). */
  readonly address: string;

  // instances
  reserveInstance(input: ReserveInput): Promise<Instance>;
  adoptInstance(id: string, input: AdoptInput): Promise<Instance>;
  registerInstance(input: RegisterInput): Promise<Instance>;
  /** Renews liveness; a stale instance becomes live again. NOT_FOUND for an unknown or gone one. */
  heartbeat(id: string, status?: Exclude<InstanceStatus, 'stale' | 'gone'>): Promise<Instance>;
  /** Marks it gone at once: releases its locks and returns its task leases to ready. */
  deregisterInstance(id: string, reason?: string): Promise<void>;
  getInstance(id: string): Promise<Instance | null>;
  listInstances(scope: string, opts?: { includeGone?: boolean; role?: string }): Promise<Instance[]>;

  // tasks
  createTask(scope: string, input: TaskInput, createdBy?: string | null): Promise<Task>;
  /** All or nothing. `$N` in dependsOn names the N-th task (from 1) of this batch. */
  createTasks(scope: string, inputs: TaskInput[], createdBy?: string | null): Promise<Task[]>;
  getTask(id: string): Promise<Task | null>;
  listTasks(scope: string, filter?: TaskFilter): Promise<Task[]>;
  /** Ready tasks, best first (priority class, then rank, then age). Null when none is claimable. */
  claimNext(input: ClaimNextInput): Promise<Lease | null>;
  /** Claims one ready task by id. INVALID_STATE when it is not ready. */
  claim(id: string, owner: string, leaseMs: number): Promise<Lease>;
  /** leased → running (the agent has started). Renews the lease. */
  startTask(id: string, token: string, leaseMs: number): Promise<Task>;
  /** Renews the lease; records progress text when given; leased → running. */
  reportProgress(id: string, token: string, leaseMs: number, text?: string | null): Promise<Task>;
  /** → integrating when the task wants integration, else → done. */
  completeTask(id: string, token: string, result: Json): Promise<Task>;
  /** integrating → done (merged) with the token of the lease that completed it. */
  markIntegrated(id: string, token: string, result?: Json): Promise<Task>;
  /** Retry (ready after backoff, attempt + 1) when retryable and attempts remain, else failed. */
  failTask(id: string, token: string, input: FailInput): Promise<Task>;
  /** Cancels a non-final task; dependents follow its dependents policy. Token optional: owners and supervisors. */
  cancelTask(id: string, opts?: { by?: string | null; reason?: string | null }): Promise<Task>;
  /** Re-checks the token without changing anything. LEASE_LOST when it is not current. */
  checkLease(id: string, token: string): Promise<Task>;
  /** Sets rank / estimate (the scheduler ranks after creation). */
  setTaskRanks(ranks: { id: string; rank: number; estimateMs?: number | null }[]): Promise<void>;

  // messages
  sendMessage(input: SendInput): Promise<Message>;
  /** Messages for this instance after its cursor; advances the cursor unless peek. */
  pollMessages(instanceId: string, opts?: { limit?: number; peek?: boolean }): Promise<Message[]>;

  // locks
  /** path must already be normalised (see normaliseLockPath). */
  lock(input: LockInput): Promise<LockResult>;
  unlock(scope: string, path: string, owner: string): Promise<boolean>;
  /** The lock covering this path (itself, a parent directory or a child), if any. */
  checkLock(scope: string, path: string): Promise<Lock[]>;
  listLocks(scope: string): Promise<Lock[]>;

  // kv
  kvGet(scope: string, key: string): Promise<KvEntry | null>;
  kvSet(scope: string, key: string, value: Json, opts?: KvSetInput): Promise<KvEntry>;
  kvAppend(scope: string, key: string, item: Json, opts?: { by?: string | null; ttlMs?: number | null }): Promise<KvEntry>;
  kvDelete(scope: string, key: string, opts?: { expectedVersion?: number; by?: string | null }): Promise<boolean>;
  kvList(scope: string, prefix?: string, limit?: number): Promise<KvEntry[]>;

  // annotations
  annotate(input: AnnotationInput): Promise<Annotation>;
  searchAnnotations(scope: string, query: AnnotationQuery): Promise<Annotation[]>;

  // events
  readEvents(scope: string, query: EventQuery): Promise<BusEvent[]>;
  lastEventId(scope: string): Promise<number>;
  /**
   * Resolves with matching events as soon as any commit (from any process) makes some visible, or
   * with none at the timeout or abort. Never polls: each backend has a wake-up source.
   */
  waitForEvents(scope: string, opts: WaitOptions): Promise<WaitResult>;

  // history
  recordHistory(entry: Omit<HistoryEntry, 'at'> & { at?: number }): Promise<void>;
  listHistory(scope: string, type?: string, limit?: number): Promise<HistoryEntry[]>;

  // housekeeping
  /** Lapsed task leases → ready; silent instances → stale / gone; expired locks and kv removed. */
  sweep(): Promise<SweepResult>;
  status(scope: string): Promise<BusStatus>;
  close(): Promise<void>;
}

