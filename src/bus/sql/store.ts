import { DaedalusError } from '../../common/index.js';
import type { Store, StoreOptions, SweepResult, WaitOptions, WaitResult } from '../store.js';
import type {
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
  LearningEntry,
  LearningInput,
  HistoryInput,
  HistoryQuery,
  Instance,
  InstanceStatus,
  InterceptDetail,
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
} from '../types.js';
import { TASK_STATES } from '../types.js';
import { annotate, searchAnnotations } from './annotations.js';
import * as approvals from './approvals.js';
import { WriteCtx } from './context.js';
import type { Param, SqlDriver, SqlTx } from './driver.js';
import { recordAttemptProcess, releaseAttemptProcess, releaseProcessesOfGone } from './attempt-process.js';
import { lastEventId, readEvents } from './events.js';
import * as instances from './instances.js';
import * as learnings from './learnings.js';
import { kvAppend, kvDelete, kvGet, kvList, kvSet } from './kv.js';
import { checkLock, dropExpiredLocks, listLocks, lock, unlock } from './locks.js';
import { pollMessages, sendMessage } from './messages.js';
import { listMessages } from './messages-list.js';
import { listPauses, pauseRun, resumeRun } from './pauses.js';
import { rowToHistory } from './rows.js';
import * as runs from './runs.js';
import { expireLeases } from './task-release.js';
import { retryTask } from './task-retry.js';
import { createTasks } from './tasks-create.js';
import * as lease from './tasks-lease.js';
import { getTask, listTasks, taskRunIds } from './tasks-read.js';

/**
 * The Store over any SqlDriver. Each public method is one transaction: the operation runs, its
 * events are appended last, the driver commits, and only then is the caller answered and are
 * local waiters woken.
 */
export class SqlStore implements Store {
  private readonly staleAfterMs: number;
  private readonly goneAfterMs: number;
  private readonly now: () => number;
  private readonly fast: SqlDriver['fast'];

  constructor(
    private readonly driver: SqlDriver,
    readonly address: string,
    opts: StoreOptions = {},
  ) {
    this.staleAfterMs = opts.staleAfterMs ?? 30_000;
    this.goneAfterMs = opts.goneAfterMs ?? 120_000;
    this.now = opts.now ?? Date.now;
    this.fast = opts.fastPath === false ? undefined : driver.fast;
    driver.onBackstopWake(() => void this.recordBackstopWake());
  }

  get backend(): 'sqlite' | 'postgres' {
    return this.driver.dialect.name;
  }

  private async write<T>(fn: (c: WriteCtx) => Promise<T>): Promise<T> {
    let events = 0;
    const value = await this.driver.write(async (tx) => {
      const c = new WriteCtx(tx, this.driver.dialect, this.now());
      const v = await fn(c);
      await c.flush();
      events = c.eventCount;
      return v;
    });
    if (events > 0) this.driver.notifyLocal();
    return value;
  }

  private read<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    return this.driver.read(fn);
  }

  // ------------------------------------------------------------------ instances
  reserveInstance(input: ReserveInput): Promise<Instance> {
    return this.write((c) => instances.reserveInstance(c, input));
  }
  adoptInstance(id: string, input: AdoptInput): Promise<Instance> {
    return this.write((c) => instances.adoptInstance(c, id, input));
  }
  registerInstance(input: RegisterInput): Promise<Instance> {
    return this.write((c) => instances.registerInstance(c, input));
  }
  heartbeat(id: string, status?: Exclude<InstanceStatus, 'stale' | 'gone'>, taker?: InterceptDetail): Promise<Instance> {
    return this.write((c) => instances.heartbeat(c, id, status, taker));
  }
  deregisterInstance(id: string, reason = 'deregistered'): Promise<void> {
    return this.write((c) => instances.deregisterInstance(c, id, reason));
  }
  getInstance(id: string): Promise<Instance | null> {
    return this.read((tx) => instances.getInstance(tx, id));
  }
  listInstances(scope: string, opts?: { includeGone?: boolean; role?: string }): Promise<Instance[]> {
    return this.read((tx) => instances.listInstances(tx, scope, opts));
  }

  // ------------------------------------------------------------------ tasks
  async createTask(scope: string, input: TaskInput, createdBy: string | null = null): Promise<Task> {
    if ((input.dependsOn ?? []).some((d) => /^\$\d+$/.test(d))) {
      throw new DaedalusError('INVALID_INPUT', '$N references only make sense in a batch', 'use createTasks / request_task_batch');
    }
    const [t] = await this.write((c) => createTasks(c, scope, [input], createdBy));
    return t!;
  }
  createTasks(scope: string, inputs: TaskInput[], createdBy: string | null = null): Promise<Task[]> {
    return this.write((c) => createTasks(c, scope, inputs, createdBy));
  }
  getTask(id: string): Promise<Task | null> {
    return this.read((tx) => getTask(tx, id));
  }
  listTasks(scope: string, filter?: TaskFilter): Promise<Task[]> {
    return this.read((tx) => listTasks(tx, scope, filter));
  }
  taskRunIds(scope: string, filter?: Pick<TaskFilter, 'runId' | 'states'>): Promise<string[]> {
    return this.read((tx) => taskRunIds(tx, scope, filter));
  }
  async claimNext(input: ClaimNextInput): Promise<Lease | null> {
    if (this.fast) {
      const r = await this.fast.claimNext(input, this.now());
      if (!r.expiredExist) {
        if (r.lease) this.driver.notifyLocal();
        return r.lease;
      }
    }
    return this.write((c) => lease.claimNext(c, input));
  }
  claim(id: string, owner: string, leaseMs: number): Promise<Lease> {
    return this.write((c) => lease.claim(c, id, owner, leaseMs));
  }
  startTask(id: string, token: string, leaseMs: number): Promise<Task> {
    return this.write((c) => lease.renew(c, id, token, leaseMs, undefined));
  }
  reportProgress(id: string, token: string, leaseMs: number, text?: string | null): Promise<Task> {
    return this.write((c) => lease.renew(c, id, token, leaseMs, text));
  }
  async completeTask(id: string, token: string, result: Json): Promise<Task> {
    const fast = await this.fast?.completeTask(id, token, result, this.now());
    if (fast) {
      this.driver.notifyLocal();
      return fast;
    }
    return this.write((c) => lease.completeTask(c, id, token, result));
  }
  markIntegrated(id: string, token: string, result?: Json): Promise<Task> {
    return this.write((c) => lease.markIntegrated(c, id, token, result));
  }
  failTask(id: string, token: string, input: FailInput): Promise<Task> {
    return this.write((c) => lease.failTask(c, id, token, input));
  }
  cancelTask(id: string, opts: { by?: string | null; reason?: string | null } = {}): Promise<Task> {
    return this.write((c) => lease.cancelTask(c, id, opts.by ?? null, opts.reason ?? null));
  }
  retryTask(id: string, opts: { by?: string | null } = {}): Promise<Task> {
    return this.write((c) => retryTask(c, id, opts.by ?? null));
  }
  checkLease(id: string, token: string): Promise<Task> {
    return this.read((tx) => lease.checkLease(tx, id, token));
  }
  yieldTask(id: string, token: string, reason: string): Promise<Task> {
    return this.write((c) => lease.yieldTask(c, id, token, reason));
  }
  adoptIntegration(id: string, owner: string, leaseMs: number): Promise<Lease> {
    return this.write((c) => lease.adoptIntegration(c, id, owner, leaseMs));
  }
  recordAttemptProcess(id: string, token: string, proc: { pgid: number; host: string; owner: string }): Promise<Task> {
    return this.write((c) => recordAttemptProcess(c, id, token, proc));
  }
  releaseAttemptProcess(id: string, attempt: number): Promise<Task | null> {
    return this.write((c) => releaseAttemptProcess(c, id, attempt));
  }
  async recordEvent<T extends EventType>(
    scope: string,
    type: T,
    data: EventMap[T],
    refs: { taskId?: string | null; instanceId?: string | null; runId?: string | null } = {},
  ): Promise<void> {
    await this.write(async (c) => c.emit(scope, type, data, refs));
  }
  async setTaskRanks(ranks: { id: string; rank: number; estimateMs?: number | null }[]): Promise<void> {
    if (ranks.length === 0) return;
    await this.write(async (c) => {
      for (const r of ranks) {
        await c.tx.run('UPDATE tasks SET rank = ?, estimate_ms = COALESCE(?, estimate_ms) WHERE id = ?', [r.rank, r.estimateMs ?? null, r.id]);
      }
    });
  }

  // ------------------------------------------------------------------ messages
  sendMessage(input: SendInput): Promise<Message> {
    return this.write((c) => sendMessage(c, input));
  }
  pollMessages(instanceId: string, opts: { limit?: number; peek?: boolean } = {}): Promise<Message[]> {
    const limit = Math.max(1, Math.min(opts.limit ?? 100, 1000));
    return this.write((c) => pollMessages(c, instanceId, limit, opts.peek ?? false));
  }

  listMessages(scope: string, query: { beforeId?: number; party?: string; limit?: number } = {}): Promise<Message[]> {
    return this.read((tx) => listMessages(tx, scope, query));
  }

  // ------------------------------------------------------------------ pauses
  pauseRun(scope: string, runId: string | null, opts: { by?: string | null; reason?: string | null } = {}): Promise<RunPause> {
    return this.write((c) => pauseRun(c, scope, runId, opts.by ?? null, opts.reason ?? null));
  }
  resumeRun(scope: string, runId: string | null, opts: { by?: string | null } = {}): Promise<boolean> {
    return this.write((c) => resumeRun(c, scope, runId, opts.by ?? null));
  }
  listPauses(scope: string, runId?: string | null): Promise<RunPause[]> {
    return this.read((tx) => listPauses(tx, scope, runId));
  }

  // ------------------------------------------------------------------ locks
  lock(input: LockInput): Promise<LockResult> {
    return this.write((c) => lock(c, input));
  }
  unlock(scope: string, path: string, owner: string): Promise<boolean> {
    return this.write((c) => unlock(c, scope, path, owner));
  }
  checkLock(scope: string, path: string): Promise<Lock[]> {
    return this.read((tx) => checkLock(tx, scope, path, this.now()));
  }
  listLocks(scope: string): Promise<Lock[]> {
    return this.read((tx) => listLocks(tx, scope, this.now()));
  }

  // ------------------------------------------------------------------ kv
  kvGet(scope: string, key: string): Promise<KvEntry | null> {
    return this.read((tx) => kvGet(tx, scope, key, this.now()));
  }
  kvSet(scope: string, key: string, value: Json, opts: KvSetInput = {}): Promise<KvEntry> {
    return this.write((c) => kvSet(c, scope, key, value, opts));
  }
  kvAppend(scope: string, key: string, item: Json, opts: { by?: string | null; ttlMs?: number | null } = {}): Promise<KvEntry> {
    return this.write((c) => kvAppend(c, scope, key, item, opts.by ?? null, opts.ttlMs ?? null));
  }
  kvDelete(scope: string, key: string, opts: { expectedVersion?: number; by?: string | null } = {}): Promise<boolean> {
    return this.write((c) => kvDelete(c, scope, key, opts.expectedVersion, opts.by ?? null));
  }
  kvList(scope: string, prefix = '', limit = 100): Promise<KvEntry[]> {
    return this.read((tx) => kvList(tx, scope, prefix, Math.max(1, Math.min(limit, 10_000)), this.now()));
  }

  // ------------------------------------------------------------------ annotations
  annotate(input: AnnotationInput): Promise<Annotation> {
    return this.write((c) => annotate(c, input));
  }
  searchAnnotations(scope: string, query: AnnotationQuery): Promise<Annotation[]> {
    return this.read((tx) => searchAnnotations(tx, this.driver.dialect, scope, query));
  }

  // ------------------------------------------------------------------ events
  readEvents(scope: string, query: EventQuery): Promise<BusEvent[]> {
    return this.read((tx) => readEvents(tx, scope, query));
  }
  lastEventId(scope: string): Promise<number> {
    return this.read((tx) => lastEventId(tx, scope));
  }

  async waitForEvents(scope: string, opts: WaitOptions): Promise<WaitResult> {
    const deadline = Date.now() + Math.max(0, opts.timeoutMs);
    let cursor = opts.after;
    let changed = true;
    let wake: (() => void) | null = null;
    // Subscribe before the first read, so a commit landing between read and sleep is not lost.
    const unsubscribe = this.driver.onChange(() => {
      changed = true;
      wake?.();
    });
    const onAbort = () => wake?.();
    opts.signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        if (changed) {
          changed = false;
          const batch = await this.readEvents(scope, { ...opts, after: cursor });
          if (batch.length > 0) {
            cursor = batch.at(-1)!.id;
            const events = opts.match ? batch.filter(opts.match) : batch;
            if (events.length > 0) return { events, cursor, timedOut: false };
            changed = true; // there may be more past this page
            continue;
          }
        }
        const left = deadline - Date.now();
        if (left <= 0 || opts.signal?.aborted) return { events: [], cursor, timedOut: true };
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
          if (changed || opts.signal?.aborted) wake();
        });
        wake = null;
      }
    } finally {
      unsubscribe();
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  wakeStats(): WakeStats {
    return this.driver.wakeStats();
  }

  /** On the bus, so `daedalus bus status` shows what every process had to fall back on. */
  private async recordBackstopWake(): Promise<void> {
    try {
      await this.driver.writeOne(
        `INSERT INTO bus_counters (name, value, updated_at) VALUES (?, 1, ?)
         ON CONFLICT (name) DO UPDATE SET value = bus_counters.value + 1, updated_at = excluded.updated_at`,
        [BACKSTOP_WAKES, Date.now()],
      );
    } catch {
      // A closed store or a read-only bus: the count stays in this process's wakeStats().
    }
  }

  // ------------------------------------------------------------------ history
  async recordHistory(e: HistoryInput): Promise<void> {
    await this.write(async (c) => {
      await c.tx.run(
        `INSERT INTO history (scope, type, task_id, run_id, attempt, outcome, duration_ms, peak_rss_bytes, cpu_ms, cost_usd, input_tokens, output_tokens, model, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          e.scope, e.type, e.taskId, e.runId, e.attempt ?? null, e.outcome, Math.round(e.durationMs), e.peakRssBytes, e.cpuMs,
          e.costUsd ?? null, e.inputTokens ?? null, e.outputTokens ?? null, e.model ?? null, e.at ?? c.now,
        ],
      );
    });
  }
  async listHistory(scope: string, query: HistoryQuery = {}): Promise<HistoryEntry[]> {
    const n = Math.max(1, Math.min(query.limit ?? 100, 100_000));
    const where = ['scope = ?'];
    const params: Param[] = [scope];
    if (query.type) {
      where.push('type = ?');
      params.push(query.type);
    }
    if (query.runId) {
      where.push('run_id = ?');
      params.push(query.runId);
    }
    const rows = await this.read((tx) => tx.all(`SELECT * FROM history WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${n}`, params));
    return rows.map(rowToHistory);
  }

  // ------------------------------------------------------------------ learnings
  recordLearning(entry: LearningInput): Promise<LearningEntry> {
    return this.write((c) => learnings.recordLearning(c, entry));
  }
  listLearnings(scope: string, query: { type?: string; limit?: number } = {}): Promise<LearningEntry[]> {
    return this.read((tx) => learnings.listLearnings(tx, scope, query));
  }
  resetLearnings(scope: string, query: { type?: string } = {}): Promise<number> {
    return this.write((c) => learnings.resetLearnings(c, scope, query));
  }

  // ------------------------------------------------------------------ runs
  createRun(input: RunInput): Promise<{ run: RunEntry; token: string | null }> {
    return this.write((c) => runs.createRun(c, input));
  }
  getRun(scope: string, runId: string): Promise<RunEntry | null> {
    return this.read((tx) => runs.getRun(tx, scope, runId));
  }
  getRunStanding(scope: string, runId: string): Promise<RunStanding | null> {
    return this.read((tx) => runs.getRunStanding(tx, scope, runId));
  }
  listRuns(scope: string, limit = 1000): Promise<RunEntry[]> {
    return this.read((tx) => runs.listRuns(tx, scope, Math.max(1, Math.min(limit, 10_000))));
  }
  claimRun(scope: string, runId: string, supervisor: string, leaseMs: number, opts: { takeOverEpoch?: number } = {}): Promise<RunClaim> {
    return this.write((c) => runs.claimRun(c, scope, runId, supervisor, leaseMs, opts.takeOverEpoch));
  }
  extendRun(scope: string, runId: string, next: { plan: Json; policies: Json; digest: string; expectedDigest: string }): Promise<RunEntry> {
    return this.write((c) => runs.extendRun(c, scope, runId, next));
  }
  renewRun(scope: string, runId: string, token: string, leaseMs: number): Promise<RunStanding> {
    return this.write((c) => runs.renewRun(c, scope, runId, token, leaseMs));
  }
  updateRun(scope: string, runId: string, token: string, patch: RunPatch): Promise<RunStanding> {
    return this.write((c) => runs.updateRun(c, scope, runId, token, patch));
  }
  releaseRun(scope: string, runId: string, token: string): Promise<boolean> {
    return this.write((c) => runs.releaseRun(c, scope, runId, token));
  }

  // ------------------------------------------------------------------ approvals
  createApproval(input: ApprovalInput): Promise<ApprovalEntry> {
    return this.write((c) => approvals.createApproval(c, input));
  }
  getApproval(scope: string, id: string): Promise<ApprovalEntry | null> {
    return this.read((tx) => approvals.getApproval(tx, scope, id));
  }
  listApprovals(scope: string, opts: { pendingOnly?: boolean; limit?: number } = {}): Promise<ApprovalEntry[]> {
    const limit = Math.max(1, Math.min(opts.limit ?? 1000, 10_000));
    return this.read((tx) => approvals.listApprovals(tx, scope, opts.pendingOnly ?? false, limit, this.now()));
  }
  decideApproval(scope: string, id: string, status: 'allowed' | 'denied', o: { by: string; message?: string | null }): Promise<ApprovalEntry> {
    return this.write((c) => approvals.decideApproval(c, scope, id, status, o));
  }

  // ------------------------------------------------------------------ housekeeping
  sweep(): Promise<SweepResult> {
    return this.write(async (c) => {
      const { stale, gone } = await instances.sweepInstances(c, this.staleAfterMs, this.goneAfterMs);
      const expired = await expireLeases(c);
      const expiredLocks = await dropExpiredLocks(c);
      await releaseProcessesOfGone(c);
      await c.tx.run('DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?', [c.now]);
      await approvals.dropOldApprovals(c);
      return { expiredTasks: expired.map((t) => t.id), staleInstances: stale, goneInstances: gone, expiredLocks };
    });
  }

  countTasks(scope: string, runId?: string): Promise<Record<TaskState, number>> {
    return this.read((tx) => countByState(tx, scope, runId));
  }

  status(scope: string): Promise<BusStatus> {
    return this.read(async (tx) => {
      const tasksByState = await countByState(tx, scope);
      return {
        instances: await instances.listInstances(tx, scope),
        tasksByState,
        locks: await listLocks(tx, scope, this.now()),
        lastEventId: await lastEventId(tx, scope),
        wakes: await busWakes(tx),
      };
    });
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}

const BACKSTOP_WAKES = 'wake.backstop';

async function busWakes(tx: SqlTx): Promise<BusStatus['wakes']> {
  const r = await tx.get<{ value: number; updated_at: number }>('SELECT value, updated_at FROM bus_counters WHERE name = ?', [BACKSTOP_WAKES]);
  return { backstopWakes: Number(r?.value ?? 0), lastBackstopAt: r ? Number(r.updated_at) : null };
}

async function countByState(tx: SqlTx, scope: string, runId?: string): Promise<Record<TaskState, number>> {
  const counts = runId
    ? await tx.all<{ state: TaskState; n: number }>('SELECT state, COUNT(*) AS n FROM tasks WHERE run_id = ? AND scope = ? GROUP BY state', [runId, scope])
    : await tx.all<{ state: TaskState; n: number }>('SELECT state, COUNT(*) AS n FROM tasks WHERE scope = ? GROUP BY state', [scope]);
  const out = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>;
  for (const r of counts) out[r.state] = Number(r.n);
  return out;
}
