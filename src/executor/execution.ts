import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BUS_RETRY_ENV, type AttemptOutcomeKind, type FailureKind, type Json, type Lease, type Task } from '../bus/index.js';
import { bestEffort, describeError, durationFromEnv, isDaedalusError } from '../common/index.js';
import type { AgentProcess, ProcessEnd } from '../harness/index.js';
import type { HostedSession } from '../mcp/index.js';
import type { Package } from '../plan/index.js';
import { killGroupAndWait } from '../resources/index.js';
import { provisionTask } from '../workspace/index.js';
import { attemptDir, dropWorktree, LEASE_FILE, packageOf, type RunContext } from './context.js';
import { integrateCompleted } from './integrate.js';
import { Overseer, type Stop } from './overseer.js';
import { expandEnv, slotEnv } from './slots.js';
import { syncBeforeProvision } from './remote-integration.js';

/** How many of the agent's last readable lines a failure quotes. */
const SAID_LINES = 30;

/** The stops the executor itself asks for; `released` is only ever the watcher's. */
type ExecutorStop = Stop & { kind: Exclude<Stop['kind'], 'released'> };

/** What one attempt came to, for history, the report and the progress view. */
export interface AttemptOutcome {
  taskId: string;
  pkgId: string;
  attempt: number;
  outcome: AttemptOutcomeKind;
  state: Task['state'];
  durationMs: number;
  peakRssBytes: number | null;
  cpuMs: number | null;
  /** Claim → agent process running, minus worktree provisioning: Daedalus's own dispatch cost. */
  dispatchMs: number | null;
  /** What the agent reported spending on this attempt (real harnesses), failed attempts included. */
  costUsd: number;
}

/** How long an agent may take to exit by itself once its task has left it (DAEDALUS_EXIT_GRACE, the package's env first). */
const exitGraceMs = (pkg: Package) => durationFromEnv(pkg.env.DAEDALUS_EXIT_GRACE ?? process.env.DAEDALUS_EXIT_GRACE, 5000);

/** The agent's environment: who it is, which lease it holds, where the bus is. */
export function agentEnv(ctx: RunContext, pkg: Package, lease: Lease, instanceId: string, worktree: string, slot = 0): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DAEDALUS_')) base[k] = v;
  const isolation = slotEnv(slot); // slots.ts
  return {
    ...base,
    // The agent's MCP server waits out a bus fault as long as its supervisor does.
    ...(process.env[BUS_RETRY_ENV] ? { [BUS_RETRY_ENV]: process.env[BUS_RETRY_ENV] } : {}),
    ...expandEnv(pkg.env, { ...base, ...isolation, DAEDALUS_RUN_ID: ctx.runId, DAEDALUS_ATTEMPT: String(lease.task.attempt) }),
    ...isolation,
    DAEDALUS_HOME: ctx.home,
    DAEDALUS_BUS: ctx.busAddress,
    DAEDALUS_SCOPE: ctx.scope,
    DAEDALUS_INSTANCE_ID: instanceId,
    DAEDALUS_ROLE: 'worker',
    DAEDALUS_TASK_ID: lease.task.id,
    DAEDALUS_LEASE_TOKEN: lease.token,
    DAEDALUS_LEASE_MS: String(ctx.leaseMs),
    DAEDALUS_FILE_ROOT: worktree,
    DAEDALUS_RUN_ID: ctx.runId,
    DAEDALUS_ATTEMPT: String(lease.task.attempt),
  };
}

/**
 * One attempt of one task, from its claim to its end: provision the worktree, start the agent with
 * its identity and lease, watch it, then integrate what it completed or classify why it did not.
 * Never throws: every ending becomes a state on the bus.
 */
export class Execution {
  readonly pkg: Package;
  readonly claimedAt = Date.now();
  overseer: Overseer | null = null;
  /** The last cost and token figures the agent reported (real harnesses only). */
  private usage: { costUsd?: number; inputTokens?: number; outputTokens?: number; model?: string } = {};
  /** The agent's own last word on what went wrong, and its last readable lines. */
  private agentError: string | null = null;
  private readonly said: string[] = [];
  proc: AgentProcess | null = null;
  /** The agent's session of the supervisor's MCP host, when its harness took one: it ends with the agent. */
  private mcpSession: HostedSession | null = null;
  private stopRequest: ExecutorStop | null = null;
  /** True while this attempt's process group is recorded on the bus. */
  private fenced = false;
  readonly done: Promise<AttemptOutcome>;

  constructor(
    private readonly ctx: RunContext,
    readonly lease: Lease,
    readonly instanceId: string,
    /** DAEDALUS_SLOT of this attempt (slots.ts). */
    readonly slot = 0,
  ) {
    this.pkg = packageOf(ctx, lease.task.key ?? '');
    this.done = this.run();
  }

  get taskId(): string {
    return this.lease.task.id;
  }

  /** Names this attempt: a task's attempts are told apart, so one ending never forgets another. */
  get key(): string {
    return `${this.lease.task.id}#${this.lease.task.attempt}`;
  }

  /**
   * Stops the attempt for a reason of the supervisor's own (Ctrl-C, requeue). Before its agent
   * is running there is nothing to kill yet: the agent is then never started.
   */
  halt(stop: ExecutorStop): void {
    this.stopRequest ??= stop;
    if (this.overseer) void this.overseer.halt(stop);
  }

  private async run(): Promise<AttemptOutcome> {
    const { ctx, lease, pkg } = this;
    const task = lease.task;
    const base = { taskId: task.id, pkgId: pkg.id, attempt: task.attempt };
    let dispatchMs: number | null = null;
    let end: ProcessEnd | null = null;
    let outcome: AttemptOutcomeKind = 'success';
    try {
      const dir = attemptDir(ctx, pkg.id, task.attempt);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, LEASE_FILE), JSON.stringify({ taskId: task.id, attempt: task.attempt, token: lease.token }), { mode: 0o600 });
      const provisionStart = Date.now();
      const ws = await syncBeforeProvision(ctx).then(() => provisionTask({
        repo: ctx.repo,
        home: ctx.home,
        run: ctx.runId,
        task: pkg.id,
        include: ctx.plan.defaults.setup.include.length > 0 ? ctx.plan.defaults.setup.include : undefined,
        setupCommand: ctx.plan.defaults.setup.command,
      })).catch(async (e: unknown) => {
        outcome = 'setup';
        await this.fail('setup', `worktree setup failed: ${describeError(e)}`, true);
        return null;
      });
      if (!ws) return await this.finish(base, outcome, null, dispatchMs);
      const provisionMs = Date.now() - provisionStart;

      if (this.stopRequest) {
        await bestEffort(`giving back ${pkg.id}`, ctx.store.yieldTask(task.id, lease.token, this.stopRequest.reason), ctx.note);
        return await this.finish(base, this.stopRequest.kind, null, dispatchMs);
      }
      const harness = ctx.harness(pkg.harness);
      await ctx.store.startTask(task.id, lease.token, ctx.leaseMs);
      const env = agentEnv(ctx, pkg, lease, this.instanceId, ws.path, this.slot);
      const host = ctx.mcpHost;
      const proc = await harness.launch({
        runId: ctx.runId,
        taskId: task.id,
        attempt: task.attempt,
        pkg,
        worktree: ws.path,
        env,
        attemptDir: dir,
        daedalus: ctx.daedalus,
        previousError: task.attempt > 1 ? task.error : null,
        ...(host ? { hostedMcp: async () => (this.mcpSession ??= (await host()).open({ env, cwd: ws.path })) } : {}),
      });
      this.proc = proc;
      this.mcpSession?.agentStarted(proc.pgid);
      // From here until its group is dead, the task cannot be claimed again (see the bus's attempt fence).
      this.fenced = await this.fence(proc);
      dispatchMs = Date.now() - this.claimedAt - provisionMs;
      this.proc.onEvent((e) => {
        if (e.kind === 'usage') this.usage = { ...this.usage, ...Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) };
        if (e.kind === 'error') this.agentError = e.text;
        if (e.kind === 'output' || e.kind === 'progress' || e.kind === 'error') {
          this.said.push(e.text);
          if (this.said.length > SAID_LINES) this.said.shift();
        }
      });
      ctx.tracker.track(task.id, this.proc.pgid);
      this.overseer = new Overseer({ store: ctx.store, leaseMs: ctx.leaseMs, tracker: ctx.tracker, warn: ctx.note }, task.id, lease.token, this.instanceId, pkg, this.proc);
      this.overseer.start();
      if (this.stopRequest) void this.overseer.halt(this.stopRequest);
      const watching = new AbortController();
      const watcher = this.endWhenReleased(this.overseer, watching.signal);
      end = await this.proc.exited;
      await this.mcpSession?.close();
      watching.abort();
      await watcher;
      this.overseer.dispose();
      await this.unfence(proc);
      outcome = await this.settle(end, this.overseer.stopped, harness.completesOnExit);
    } catch (e) {
      outcome = 'crash';
      await this.mcpSession?.close();
      ctx.note(`${pkg.id}: supervisor error: ${describeError(e)}`);
      if (this.proc) await this.unfence(this.proc);
      await this.fail('crash', `supervisor error: ${describeError(e)}`, true);
    }
    return this.finish(base, outcome, end, dispatchMs);
  }

  /** Records the attempt's process group on the bus; a lease already lost means stop it now. */
  private async fence(proc: AgentProcess): Promise<boolean> {
    const { ctx, lease } = this;
    try {
      await ctx.store.recordAttemptProcess(lease.task.id, lease.token, { pgid: proc.pgid, host: hostname(), owner: ctx.supervisorId });
      return true;
    } catch (e) {
      if (!isDaedalusError(e, 'LEASE_LOST')) throw e;
      this.halt({ kind: 'lease-lost', reason: 'its lease moved on before the agent started' });
      return false;
    }
  }

  /**
   * The agent has exited: whatever it left running in its group dies now, and once nothing of the
   * group is left the task may be claimed again. A group that will not die keeps the fence; the
   * sweep lifts it when this executor is gone, or a resumed run kills it first.
   */
  private async unfence(proc: AgentProcess): Promise<void> {
    if (!this.fenced) return;
    const { ctx, lease } = this;
    if (!(await killGroupAndWait(proc.pgid))) {
      ctx.note(`${this.pkg.id}: process group ${proc.pgid} of attempt ${lease.task.attempt} would not die; the task waits for it`);
      return;
    }
    // Still fenced when the bus refused the release: the loop tries again (fences-left.ts).
    const released = await bestEffort(`releasing ${this.pkg.id}'s attempt fence`, ctx.store.releaseAttemptProcess(lease.task.id, lease.task.attempt), ctx.note);
    if (released !== undefined) this.fenced = false;
  }

  /** True when the attempt ended with its fence still on the bus (see fences-left.ts). */
  get fenceLeft(): boolean {
    return this.fenced;
  }

  /**
   * An attempt ends when its task leaves its hands: completed, failed (a retry asked for), cancelled
   * or taken away. The agent gets a moment to exit by itself — its last words carry its cost — and
   * is then stopped, so it never works on beside whatever comes next. Interactive panes close
   * themselves after their linger.
   */
  private async endWhenReleased(overseer: Overseer, stop: AbortSignal): Promise<void> {
    const { ctx, lease } = this;
    const id = lease.task.id;
    try {
      let cursor = await ctx.store.lastEventId(ctx.scope);
      for (;;) {
        const t = await ctx.store.getTask(id);
        if (stop.aborted) return;
        if (!t || t.attempt !== lease.task.attempt || (t.state !== 'leased' && t.state !== 'running')) break;
        const r = await ctx.store.waitForEvents(ctx.scope, { after: cursor, taskIds: [id], types: ['task.'], timeoutMs: 60_000, signal: stop });
        if (stop.aborted) return;
        cursor = r.cursor;
      }
      if (this.pkg.mode === 'interactive') return;
      const grace = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(true), exitGraceMs(this.pkg));
        stop.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve(false);
        });
      });
      if (await grace) await overseer.halt({ kind: 'released', reason: 'its task had left this attempt, and it did not exit' });
    } catch (e) {
      if (!stop.aborted) ctx.note(`${this.pkg.id}: watching its task on the bus failed: ${describeError(e)}`);
    }
  }

  private measured(): { [key: string]: Json } {
    const u = this.usage;
    const out: { [key: string]: Json } = {};
    if (u.costUsd !== undefined) out.cost_usd = u.costUsd;
    if (u.inputTokens !== undefined || u.outputTokens !== undefined) out.usage = { input_tokens: u.inputTokens ?? 0, output_tokens: u.outputTokens ?? 0 };
    return out;
  }

  /** Decides what the agent's exit means, from the task's state on the bus. */
  private async settle(end: ProcessEnd, stop: Stop | null, completesOnExit: boolean): Promise<AttemptOutcomeKind> {
    const { ctx, lease } = this;
    const now = await ctx.store.getTask(lease.task.id);
    if (stop?.kind === 'stopped' || stop?.kind === 'requeued') {
      // The supervisor stopped it (Ctrl-C, resource pressure): the attempt does not count.
      if (now && (now.state === 'leased' || now.state === 'running')) {
        await bestEffort(`giving back ${this.pkg.id}`, ctx.store.yieldTask(lease.task.id, lease.token, stop.reason), ctx.note);
        return stop.kind;
      }
    }
    if (now?.state === 'integrating') return integrateCompleted(ctx, lease.task.id, lease.token, this.pkg, this.measured());
    // A plan with integrate: false: the agent's completion is the end; its branch stays as it is.
    if (now?.state === 'done') {
      await dropWorktree(ctx, this.pkg.id);
      return 'success';
    }
    if (now && (now.state === 'leased' || now.state === 'running') && now.attempt === lease.task.attempt) {
      // A stop of our own (stopped, requeued) was given back above while the task was held.
      if (stop && stop.kind !== 'stopped' && stop.kind !== 'requeued' && stop.kind !== 'released') {
        await this.fail(stop.kind, this.explain(stop.reason, end), true, end);
        return stop.kind;
      }
      if (completesOnExit && end.exitCode === 0) {
        const result: Json = { summary: `${this.pkg.id}: command exited 0`, output: end.tail.slice(-2000) };
        const completed = await ctx.store.completeTask(lease.task.id, lease.token, result);
        if (completed.state !== 'done') return integrateCompleted(ctx, lease.task.id, lease.token, this.pkg, this.measured());
        await dropWorktree(ctx, this.pkg.id);
        return 'success';
      }
      const kind = end.signal || (end.exitCode ?? 0) > 128 ? 'crash' : 'exit-code';
      const how = end.signal ? `was killed by ${end.signal}` : end.exitCode === 0 ? 'exited without completing its task' : `exited with code ${end.exitCode}`;
      await this.fail(kind, this.explain(`the agent ${how}`, end), true, end);
      return kind;
    }
    // The agent failed the task itself (fail_task), or the lease moved on while it ran.
    if (now?.state === 'ready' || now?.state === 'failed') return now.failureKind ?? (now.state === 'failed' ? 'unspecified' : 'lease-lost');
    return now?.state === 'cancelled' ? 'cancelled' : 'lease-lost';
  }

  /**
   * Why an attempt failed, first line first: what happened, and the agent's own last error when it
   * gave one (an API error, a failed turn) — then its last readable lines.
   */
  private explain(what: string, end: ProcessEnd): string {
    const notes = end.notes ?? [];
    const lines = [...(this.said.length > 0 ? this.said : [end.tail.slice(-1500)]), ...notes].join('\n');
    const cause = this.agentError ?? notes[0];
    return `${cause ? `${cause} (${what})` : what}\nLast output:\n${lines.slice(-2000)}`;
  }

  /** Fails the attempt with a classified kind; the bus decides between a retry and a final failure. */
  private async fail(kind: FailureKind, error: string, retryable: boolean, end?: ProcessEnd): Promise<void> {
    const { ctx, lease } = this;
    // The whole of it stays in the task's result: the error line for people, the raw output for digging.
    const result: Json = end ? { ...this.measured(), agent_error: this.agentError, output_tail: end.tail } : null;
    await ctx.store
      .failTask(lease.task.id, lease.token, { error, retryable, kind, backoffMs: ctx.plan.defaults.retryBackoffMs, ...(result ? { result } : {}) })
      .catch((e: unknown) => {
        if (!isDaedalusError(e, 'LEASE_LOST') && !isDaedalusError(e, 'INVALID_STATE')) throw e;
      });
  }

  private async finish(base: { taskId: string; pkgId: string; attempt: number }, outcome: AttemptOutcomeKind, end: ProcessEnd | null, dispatchMs: number | null): Promise<AttemptOutcome> {
    const { ctx } = this;
    this.overseer?.dispose();
    const usage = ctx.tracker.untrack(base.taskId);
    const task = await ctx.store.getTask(base.taskId);
    const result: AttemptOutcome = {
      ...base,
      outcome,
      state: task?.state ?? 'failed',
      durationMs: end?.durationMs ?? Date.now() - this.claimedAt,
      peakRssBytes: usage?.peakRssBytes ?? null,
      cpuMs: usage ? Math.round(usage.cpuMs) : null,
      dispatchMs,
      costUsd: this.usage.costUsd ?? 0,
    };
    // Every attempt, stopped ones too: what it spent counts, whatever became of it.
    await bestEffort(
      `recording the history of ${base.pkgId}`,
      ctx.store.recordHistory({
        scope: ctx.scope,
        type: this.pkg.type,
        taskId: base.taskId,
        runId: ctx.runId,
        attempt: base.attempt,
        outcome,
        durationMs: result.durationMs,
        peakRssBytes: result.peakRssBytes,
        cpuMs: result.cpuMs,
        costUsd: this.usage.costUsd ?? null,
        inputTokens: this.usage.inputTokens ?? null,
        outputTokens: this.usage.outputTokens ?? null,
        model: this.usage.model ?? this.pkg.model ?? null,
      }),
      ctx.note,
    );
    // The agent's instance was only ever this attempt's; its leases and locks go with it.
    await bestEffort(`deregistering the agent of ${base.pkgId}`, ctx.store.deregisterInstance(this.instanceId, `attempt ${base.attempt} ended: ${outcome}`), ctx.note);
    return result;
  }
}
