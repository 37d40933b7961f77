import { LIVE_TASK_STATES, toPlainJson, type Instance } from '../bus/index.js';
import { bestEffort, describeError } from '../common/index.js';
import { pauseProcessGroup, resumeProcessGroup, ResourceGate, SAMPLE_PACE_MS, type GateDecision, type Sampler } from '../resources/index.js';
import { concurrencyFor, mayStart, STRATEGY_INFO, type Concurrency } from '../schedule/index.js';
import type { AgentPool } from './agent-pool.js';
import { knownPackage, type RunContext } from './context.js';
import { Execution, type AttemptOutcome } from './execution.js';
import { FencesLeft } from './fences-left.js';
import { shedLowPriority } from './degrade.js';
import { LearnedLimits } from './learned-limits.js';
import { OverlapGuard } from './overlap-guard.js';
import { PauseWatch } from './pause.js';
import { Slots } from './slots.js';
import { integrateCompleted } from './integrate.js';
import { integratePushed } from './remote-integration.js';
import { HOSTED_HARNESSES } from './hosted-mcp.js';
import { OrphanIntegrations } from './orphan-integrations.js';

const TICK_MS = 500;
/** How long a reserved agent instance waits to be adopted: claim, worktree, setup, agent start. */
const RESERVE_MS = 10 * 60_000;

export interface SuperviseOptions {
  sampler: Sampler;
  maxAgents: number;
  signal?: AbortSignal;
  /** Called with every gate decision (the live view shows the zone). */
  onDecision?: (d: GateDecision) => void;
  /** Slots shared with the other runs this process supervises (a worker); none: maxAgents alone. */
  pool?: AgentPool;
  /** Only tasks of these types (a worker started with --types). */
  types?: readonly string[];
  /**
   * Keep supervising when every task is final, until the signal: a planner's run grows with each
   * spawn, and its next task should start at once rather than wait for the run to be taken up
   * again. Called each time the run falls quiet (its report is due).
   */
  linger?: { onQuiet(attempts: AttemptOutcome[]): Promise<void> };
}

export interface SuperviseResult {
  attempts: AttemptOutcome[];
  /** Why no new agents were started before the plan was finished, if that happened. */
  stoppedBy: 'interrupt' | 'budget-cost' | 'budget-wall' | null;
  /** Every task was final when it stopped (a lingering run stopped while quiet is not interrupted). */
  quiet: boolean;
}

/** Wakes the loop early: an attempt ended, a signal came. */
class Kick {
  private wake: (() => void) | null = null;
  private pending = false;
  poke(): void {
    this.pending = true;
    this.wake?.();
  }
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

/**
 * The supervisor loop: while the run has unfinished tasks, ask the strategy (and through it the
 * resource gate) how many agents may run, claim the best ready tasks on the bus for new agent
 * instances, and start an Execution for each. Everything it decides is on the bus, so a
 * supervisor that dies can be resumed by another.
 */
export async function supervise(ctx: RunContext, opts: SuperviseOptions): Promise<SuperviseResult> {
  const { store } = ctx;
  const d = ctx.plan.defaults;
  const running = new Map<string, Execution>();
  const attempts: AttemptOutcome[] = [];
  const kick = new Kick();
  const pause = new PauseWatch(ctx);
  const paused = new Set<string>();
  const fencesLeft = new FencesLeft();
  const overlap = new OverlapGuard(ctx);
  const learned = new LearnedLimits(ctx);
  // A worker's runs share its pool, and so its slot numbers.
  const agentSlots = opts.pool?.slots ?? new Slots();
  let lastDecision: GateDecision | null = null;
  const useGate = STRATEGY_INFO[d.strategy].usesGate;
  const gate = new ResourceGate({
    sampler: opts.sampler,
    thresholds: {
      cpu: { warning: d.resources.cpuWarning, danger: d.resources.cpuDanger },
      memory: { warning: d.resources.memWarning, danger: d.resources.memDanger },
    },
    cooldownMs: d.resources.cooldownMs,
    sustainedMs: d.resources.sustainedMs,
    onSustainedDanger: d.resources.onSustainedDanger,
    samplePaceMs: SAMPLE_PACE_MS,
  });
  const startedAt = Date.now();
  // Started now rather than by the first agent's launch, which would wait for it.
  if (ctx.plan.packages.some((p) => HOSTED_HARNESSES.has(p.harness))) ctx.mcpHost?.().catch(() => undefined);
  const spentBefore = d.budget.costUsd !== undefined ? await costSoFar(ctx) : 0;
  let stoppedBy: SuperviseResult['stoppedBy'] = null;
  let spare: Instance | null = null;
  let spareAt = 0;
  let lastSweep = 0;
  /** An attempt that could not record its own end (the bus stayed away): the first such error. */
  let fatal: { error: unknown } | null = null;
  let quiet = false;
  let quietReported = false;
  let mergingPushed: Promise<void> | null = null;
  const orphans = new OrphanIntegrations(ctx);
  let adopting: Promise<void> | null = null;
  const onAbort = () => kick.poke();
  opts.signal?.addEventListener('abort', onAbort);
  const unsubscribe = opts.pool?.onFree(() => kick.poke());

  const decide = async (kind: string, reason: string) => {
    ctx.note(reason);
    await store.recordEvent(ctx.scope, 'run.decision', { kind, reason }, { runId: ctx.runId, instanceId: ctx.supervisorId });
  };

  try {
    for (;;) {
      // Set by an attempt's callback: TypeScript cannot see it change inside the loop.
      const failed = fatal as { error: unknown } | null;
      if (failed) throw failed.error;
      ctx.tracker.sample();
      if (Date.now() - lastSweep > 2000) {
        lastSweep = Date.now();
        await store.sweep().catch((e: unknown) => ctx.note(`sweep failed: ${describeError(e)}`));
      }

      if (opts.signal?.aborted && stoppedBy !== 'interrupt') {
        stoppedBy = 'interrupt';
        await decide('stop', `interrupted: stopping ${running.size} agent(s); the run can be resumed with --resume ${ctx.runId}`);
        for (const e of running.values()) {
          if (paused.has(e.key) && e.proc) resumeProcessGroup(e.proc.pgid);
          e.halt({ kind: 'stopped', reason: 'the supervisor was interrupted' });
        }
      }

      // Read before counting, so a task made after the count is an event after this cursor.
      const cursor = opts.linger ? ((await store.readEvents(ctx.scope, { after: 0, limit: 1, newest: true }))[0]?.id ?? 0) : 0;
      const counts = await store.countTasks(ctx.scope, ctx.runId);
      // Beside the loop: a fence that will not lift must not hold up the other tasks.
      if (fencesLeft.size > 0) {
        void fencesLeft.retry(ctx).then((lifted) => {
          if (lifted > 0) kick.poke();
        });
      }
      // Work other hosts pushed for this run (its owner only; see remote-integration.ts). Merged
      // beside the loop, one pass at a time: waiting for the merges here would keep this host's
      // free agents from claiming while other hosts' work lands.
      if (ctx.remote?.owner && !mergingPushed && counts.integrating > 0 && stoppedBy === null) {
        mergingPushed = integratePushed(ctx, integrateCompleted)
          .then((acted) => {
            if (acted > 0) kick.poke();
          })
          .catch((e: unknown) => ctx.note(`integrating pushed work failed: ${describeError(e)}`))
          .finally(() => {
            mergingPushed = null;
          });
      }
      // Integrations nothing here holds any more (orphan-integrations.ts), beside the loop like the above.
      if (counts.integrating > 0 && !adopting && stoppedBy === null && orphans.due()) {
        adopting = orphans
          .sweep((taskId) => [...running.values()].some((e) => e.lease.task.id === taskId))
          .then((n) => {
            if (n > 0) kick.poke();
          })
          .catch((e: unknown) => ctx.note(`integrating cut-off work failed: ${describeError(e)}`))
          .finally(() => {
            adopting = null;
          });
      }
      // Blocked tasks do not keep it going: with nothing else left, they wait on dependencies that
      // failed under on_failure keep, and would keep the loop going forever.
      const open = LIVE_TASK_STATES.reduce((n, s) => n + counts[s], 0);
      quiet = open === 0;
      if ((open === 0 || stoppedBy !== null) && running.size === 0) {
        if (mergingPushed || adopting) {
          await Promise.all([mergingPushed, adopting]);
          continue;
        }
        if (!opts.linger || stoppedBy !== null) break;
        if (!quietReported) {
          quietReported = true;
          await opts.linger.onQuiet(attempts);
        }
        // Sleeps until the run gets work again (a spawn's tasks, a retry), or the stop.
        await store
          .waitForEvents(ctx.scope, { after: cursor, runId: ctx.runId, types: ['task.ready', 'task.created', 'run.extended'], timeoutMs: 30_000, signal: opts.signal, limit: 1 })
          .catch((e: unknown) => {
            if (!opts.signal?.aborted) ctx.note(`waiting for new tasks: ${describeError(e)}`);
          });
        continue;
      }
      quietReported = false;

      if (stoppedBy === null) {
        // Reading every result costs; only a plan with a cost budget pays it.
        // Every attempt's own spend, failed ones included, on top of what earlier supervisors of a
        // resumed run spent: added up as attempts end, never by re-reading every task per tick.
        const spent = spentBefore + attempts.reduce((sum, a) => sum + a.costUsd, 0);
        if (d.budget.costUsd !== undefined && spent >= d.budget.costUsd) {
          stoppedBy = 'budget-cost';
          await decide('budget', `cost budget reached ($${spent.toFixed(2)} of $${d.budget.costUsd}): no new agents`);
        } else if (d.budget.wallMs !== undefined && Date.now() - startedAt >= d.budget.wallMs) {
          stoppedBy = 'budget-wall';
          await decide('budget', `wall-time budget reached: no new agents`);
        }
      }

      let conc: Concurrency = { total: opts.maxAgents, perType: {}, reasons: [] };
      if (stoppedBy === null) {
        let gateTotal = Number.POSITIVE_INFINITY;
        if (useGate) {
          const decision = await gate.decide({
            running: [...running.values()].map((e) => ({ taskId: e.key, priority: e.lease.task.priority, startedAt: e.claimedAt })),
            maxAgents: opts.maxAgents,
            queued: counts.ready,
          });
          opts.onDecision?.(decision);
          lastDecision = decision;
          await applyAction(decision);
          // --- emergency degradation (degrade.ts) ---
          if (decision.emergency) await shedLowPriority(ctx, decision.reason);
          if (decision.changed) {
            await store.recordEvent(ctx.scope, 'run.decision', { kind: `gate.${decision.zone}`, reason: decision.reason, data: toPlainJson(decision) }, { runId: ctx.runId });
          }
          gateTotal = running.size - paused.size + decision.allow;
        }
        const history = d.strategy === 'adaptive' ? await store.listHistory(ctx.scope, { limit: 200 }) : [];
        conc = concurrencyFor(d.strategy, opts.maxAgents, gateTotal, history);
        // --- learnings (learned-limits.ts) ---
        if (d.strategy === 'adaptive') conc = await learned.narrow(conc, opts.maxAgents, [...running.values()].map((e) => e.pkg.type), lastDecision);
        // A person's pause (dashboard): no new agents; the running ones finish.
        if (!(await pause.holds())) await startAgents(conc, counts.ready);
      }
      await kick.wait(TICK_MS);
    }
  } catch (error) {
    // The bus stayed away past its retry budget: the other attempts are stopped too, their ends
    // recorded if the bus lets them; the tasks stay with the run, and --resume picks them up.
    for (const e of running.values()) e.halt({ kind: 'stopped', reason: `the supervisor is stopping: ${describeError(error)}` });
    await Promise.allSettled([...running.values()].map((e) => e.done));
    throw error;
  } finally {
    await Promise.all([mergingPushed, adopting]);
    opts.signal?.removeEventListener('abort', onAbort);
    unsubscribe?.();
    if (spare) await bestEffort('dropping the spare reservation', store.deregisterInstance(spare.id, 'run finished'), ctx.note);
  }
  return { attempts, stoppedBy, quiet };

  async function startAgents(conc: Concurrency, ready: number): Promise<void> {
    let slots = Math.min(conc.total - (running.size - paused.size), ready, opts.pool?.free ?? Number.POSITIVE_INFINITY);
    // The types that may start now: asked again before every claim, since each claim of this round
    // counts against its type's limit (three ready tasks of a type limited to one start one).
    const allowedTypes = (): string[] | undefined => {
      const byType: Record<string, number> = {};
      for (const e of running.values()) byType[e.pkg.type] = (byType[e.pkg.type] ?? 0) + 1;
      let types = Object.keys(conc.perType).length > 0
        ? [...new Set(ctx.plan.packages.map((p) => p.type))].filter((t) => mayStart(conc, { total: running.size, byType }, t))
        : undefined;
      if (opts.types) types = (types ?? [...new Set(ctx.plan.packages.map((p) => p.type))]).filter((t) => opts.types!.includes(t));
      return types;
    };
    const passedOver: string[] = []; // overlap guard: tasks given back this round
    while (slots > 0) {
      const types = allowedTypes();
      if (types && types.length === 0) return;
      // A spare kept while nothing could be claimed (backoff, per-type limits) may have lapsed, or
      // be too close to lapsing to last until its agent adopts it: the claim would go to a gone
      // instance whose agent could never start.
      if (spare && (Date.now() - spareAt > RESERVE_MS / 2 || (await store.getInstance(spare.id))?.status === 'gone')) {
        await bestEffort('renewing the spare reservation', store.deregisterInstance(spare.id, 'reservation renewed'), ctx.note);
        spare = null;
      }
      if (!spare) {
        spare = await store.reserveInstance({
          scope: ctx.scope,
          role: 'worker',
          label: `origin:daedalus run:${ctx.runId} role:worker`,
          reservedBy: ctx.supervisorId,
          leaseMs: RESERVE_MS,
        });
        spareAt = Date.now();
      }
      // --- overlap guard (overlap-guard.ts) ---
      const excludeKeys = overlap.active ? [...overlap.excluded([...running.values()].map((e) => e.pkg.id)), ...passedOver] : undefined;
      const lease = await store.claimNext({ scope: ctx.scope, owner: spare.id, leaseMs: ctx.leaseMs, runId: ctx.runId, types, ...(excludeKeys ? { excludeKeys } : {}) });
      if (!lease) return;
      if (overlap.active) {
        const pkg = await knownPackage(ctx, lease.task).catch(() => null);
        if (pkg && !(await overlap.acquire(pkg, spare.id, lease.task.id))) {
          await store.yieldTask(lease.task.id, lease.token, 'a package it overlaps with is running elsewhere');
          passedOver.push(lease.task.key ?? '');
          continue;
        }
      }
      // --- end overlap guard ---
      const owner = spare.id;
      spare = null;
      if (!(await knownPackage(ctx, lease.task).catch(() => null))) {
        // Not one of the run's packages (its record was never extended with it): a clear failure
        // for whoever made it, never a crash of the executor.
        const error = `task ${lease.task.id} names package "${lease.task.key ?? ''}", which run ${ctx.runId} does not record; add tasks to a run with spawn_parallel_tasks or a plan`;
        await bestEffort(`refusing ${lease.task.id}`, store.failTask(lease.task.id, lease.token, { error, retryable: false, kind: 'unspecified' }), ctx.note);
        await bestEffort('dropping its reservation', store.deregisterInstance(owner, 'task refused'), ctx.note);
        continue;
      }
      const slot = agentSlots.take();
      const exec = new Execution(ctx, lease, owner, slot);
      opts.pool?.take();
      // Keyed by attempt: an attempt that ends must not take a later attempt of its task with it.
      running.set(exec.key, exec);
      void exec.done.then(
        (o) => {
          opts.pool?.give();
          running.delete(exec.key);
          paused.delete(exec.key);
          agentSlots.give(slot);
          attempts.push(o);
          if (exec.fenceLeft) fencesLeft.add(exec.lease.task.id, exec.lease.task.attempt);
          kick.poke();
        },
        (e: unknown) => {
          // Only a bus that stayed away past its retry budget gets here: the run cannot go on.
          opts.pool?.give();
          running.delete(exec.key);
          paused.delete(exec.key);
          agentSlots.give(slot);
          fatal ??= { error: e };
          kick.poke();
        },
      );
      slots--;
    }
  }

  async function applyAction(decision: GateDecision): Promise<void> {
    const action = decision.action;
    if (!action) return;
    const exec = running.get(action.taskId);
    if (!exec?.proc) return;
    if (action.kind === 'pause' && pauseProcessGroup(exec.proc.pgid)) {
      paused.add(exec.key);
      exec.overseer?.pause();
      await decide('pause', `paused ${exec.pkg.id}: ${decision.reason}`);
    } else if (action.kind === 'resume' && resumeProcessGroup(exec.proc.pgid)) {
      paused.delete(exec.key);
      exec.overseer?.resume();
      await decide('resume', `resumed ${exec.pkg.id}: ${decision.reason}`);
    } else if (action.kind === 'requeue') {
      await decide('requeue', `requeued ${exec.pkg.id}: ${decision.reason}`);
      exec.halt({ kind: 'requeued', reason: `requeued under resource pressure: ${decision.reason}` });
    }
  }
}

/** Cost that finished tasks recorded before this supervisor started (a resumed run). */
async function costSoFar(ctx: RunContext): Promise<number> {
  // Every attempt's spend, failed and stopped ones included, as each recorded it when it ended.
  const history = await ctx.store.listHistory(ctx.scope, { runId: ctx.runId, limit: 100_000 });
  return history.reduce((sum, h) => sum + (h.costUsd ?? 0), 0);
}
