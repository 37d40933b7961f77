import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { formatAddress, openStore, resolveBusAddress, resolveScope, toPlainJson, type Store } from '../bus/index.js';
import { bestEffort, daedalusHome, DaedalusError, describeError, isDaedalusError, withReleasers } from '../common/index.js';
import { availableHarnesses, daedalusCommand, getHarness, type Harness } from '../harness/index.js';
import { planCheck, type Plan } from '../plan/index.js';
import { SAMPLE_PACE_MS, SystemSampler, TaskUsageTracker, type GateDecision, type Sampler } from '../resources/index.js';
import { createIntegration, finishRun, cleanupRun, type FinishResult } from '../workspace/index.js';
import { lazyMcpHost, reviveCancelled, startOwnedRun, supervise, type AgentPool, type SuperviseResult, type RunContext } from '../executor/index.js';
import { claimSupervision, recoverRun } from './recover.js';
import { reportRun, writeSummary, type RunReport } from './report.js';
import { createRunRecord, learnFromRun, loadRunForResume, newRunId, recordRunTasks, saveRunRecord, type RunRecord } from '../records/index.js';

export interface RunOptions {
  /** A plan file, package file or directory. Not needed with resume. */
  plan?: string;
  /** Resume this run instead of starting one. */
  resume?: string;
  /** With resume: cancelled tasks (emergency degradation, a person) get another attempt too. */
  includeCancelled?: boolean;
  /**
   * With resume: a worker taking up a run nobody supervises (a planner's run, or one whose
   * supervisor died): its integration branch is made if it has none yet, and its plan is read
   * again whenever a task names a package added since.
   */
  take?: boolean;
  /** An open bus to use (a worker shares one across its runs); otherwise one is opened and closed here. */
  store?: Store;
  /** Agent slots shared with the other runs of this process (a worker). */
  pool?: AgentPool;
  /** Only tasks of these types. */
  types?: readonly string[];
  /** Start every agent task in this mode, whatever its package says (a worker's --mode). */
  modeOverride?: 'headless' | 'interactive';
  /** Run every agent task with this harness instead of the one its package names (shell tasks stay shell). */
  harnessOverride?: string;
  /** The repository (default: the current directory's). */
  repo?: string;
  /** The bus scope (default DAEDALUS_SCOPE, else the repository's root): hosts sharing a run agree on it. */
  scope?: string;
  /**
   * The git remote other hosts share (docs/multi-machine.md): the integration branch is pushed there
   * after every merge, and tasks other hosts push there are merged by this process.
   */
  remote?: string;
  /** Where worktrees and attempt files go (default $DAEDALUS_HOME). */
  home?: string;
  bus?: string;
  maxAgents?: number;
  runId?: string;
  /** Bring the integration branch into the base branch when every task is done. */
  finish?: boolean;
  /** Remove done tasks' worktrees at the end (failed ones are kept). Default true. */
  cleanup?: boolean;
  leaseMs?: number;
  signal?: AbortSignal;
  /** Injected for tests: a fake sampler drives the resource gate. */
  sampler?: Sampler;
  /** Injected for tests: extra or replacement harnesses. */
  harnesses?: Record<string, Harness>;
  /** Lines for people (plain log), and every gate decision (live view). */
  onNote?: (line: string) => void;
  onDecision?: (d: GateDecision) => void;
  /** Called once the run is on the bus, before any agent starts (the progress view starts here). */
  onStart?: (info: { store: Store; scope: string; runId: string; plan: Plan }) => void;
}

export interface RunResult {
  runId: string;
  repo: string;
  report: RunReport;
  finish: FinishResult | null;
}

/**
 * How long a supervisor's claim on its run lasts unless renewed (every 5 s, with its heartbeat):
 * long enough for a busy machine, short enough that a hung supervisor's run can be taken over.
 */
const SUPERVISOR_LEASE_MS = 60_000;

function repoRoot(dir: string): string {
  // The scope's root is the main worktree of the repository the directory belongs to.
  return resolveScope(dir, {});
}

/**
 * `daedalus run PLAN` and `daedalus run --resume RUN`: record the run and its tasks on the bus,
 * supervise it to the end, integrate, report. State lives on the bus, so a resume after any crash
 * picks up exactly where the bus says the run is.
 */
export async function runPlan(opts: RunOptions): Promise<RunResult> {
  const repo = repoRoot(resolve(opts.repo ?? process.cwd()));
  const home = opts.home ?? daedalusHome();
  const address = resolveBusAddress(opts.bus);
  const busAddress = address.kind === 'sqlite' ? `sqlite:${address.path}` : address.url;
  const harnesses = { ...Object.fromEntries(availableHarnesses().map((h) => [h, getHarness(h)])), ...opts.harnesses };
  // A plan that does not validate must leave nothing behind: no bus file, no home.
  let checked: Plan | null = null;
  if (!opts.resume) {
    if (!opts.plan) throw new DaedalusError('INVALID_INPUT', 'no plan given', 'daedalus run PLAN.yaml, or --resume RUN');
    checked = await planCheck({ file: opts.plan, harnesses: Object.keys(harnesses) });
  }
  const store = opts.store ?? (await openStore(address));
  const warn = (line: string) => opts.onNote?.(line);
  return withReleasers(async (defer) => {
    if (!opts.store) defer(() => store.close());
    const scope = opts.scope ?? resolveScope(repo, {});
    let record: RunRecord;
    if (!checked) {
      // What a resume executes must be what the run was created with, whoever wrote the bus since.
      record = await loadRunForResume(store, scope, opts.resume ?? '', home);
    } else {
      const plan = checked;
      const runId = opts.runId ?? newRunId(plan);
      record = {
        runId,
        plan,
        repo,
        maxAgents: opts.maxAgents ?? plan.defaults.maxAgents,
        startedAt: Date.now(),
        status: 'running',
        supervisors: [],
      };
    }
    if (opts.modeOverride) record.plan = withMode(record.plan, opts.modeOverride);
    const plan = record.plan;
    const supervisor = await store.registerInstance({
      scope,
      role: 'supervisor',
      label: `origin:daedalus run:${record.runId} role:supervisor`,
      pid: process.pid,
      host: hostname(),
      fileRoot: repo,
    });
    defer(() => store.deregisterInstance(supervisor.id, 'supervisor exited'));
    // The claim is the one step that makes this process the run's only supervisor; nothing of the
    // run is touched before it.
    const previous = record.supervisors;
    let token: string;
    if (opts.resume) {
      const claim = await claimSupervision(store, scope, record.runId, supervisor.id, SUPERVISOR_LEASE_MS);
      token = claim.token;
      record.supervisors = claim.run.supervisors;
      // A resumed run may be given more or fewer agents than it started with.
      if (opts.maxAgents !== undefined) record.maxAgents = opts.maxAgents;
    } else {
      record.supervisors = [supervisor.id];
      token = (await createRunRecord(store, scope, record, { home, supervisor: { id: supervisor.id, leaseMs: SUPERVISOR_LEASE_MS } }))!;
    }
    defer(() => store.releaseRun(scope, record.runId, token));
    // A supervisor whose claim was taken over (it hung past its lease, say) stops at once.
    const superseded = new AbortController();
    const renew = async () => {
      // The claim first: a supervisor whose instance was declared gone must still learn it lost the run.
      try {
        await store.renewRun(scope, record.runId, token, SUPERVISOR_LEASE_MS);
      } catch (e) {
        if (!isDaedalusError(e, 'LEASE_LOST')) throw e;
        if (!superseded.signal.aborted) warn(`run ${record.runId}: ${describeError(e)}`);
        superseded.abort();
      }
      await store.heartbeat(supervisor.id, 'working');
    };
    const heartbeat = setInterval(() => void bestEffort('supervisor heartbeat', renew(), warn), 5000);
    defer(() => clearInterval(heartbeat));

    const ctx: RunContext = {
      store,
      busAddress,
      scope,
      repo,
      runId: record.runId,
      plan,
      supervisorId: supervisor.id,
      home,
      leaseMs: opts.leaseMs ?? 5 * 60_000,
      daedalus: daedalusCommand(),
      mcpHost: lazyMcpHost(store, defer, (line) => opts.onNote?.(line)),
      harness: (name) => {
        const h = harnesses[opts.harnessOverride && name !== 'shell' ? opts.harnessOverride : name];
        if (!h) throw new DaedalusError('PLAN_INVALID', `harness "${name}" is not available`, `use one of ${Object.keys(harnesses).join(', ')}`);
        return h;
      },
      tracker: new TaskUsageTracker({ paceMs: SAMPLE_PACE_MS }),
      note: (line) => opts.onNote?.(line),
      keepWorktrees: opts.cleanup === false,
      refreshPlan: async () => withMode((await loadRunForResume(store, scope, record.runId, home)).plan, opts.modeOverride),
      ...(opts.remote ? { remote: { name: opts.remote, owner: true } } : {}),
    };

    if (opts.resume) {
      // A planner's run has no integration branch until someone executes it; made from its base
      // even when the user's checkout has uncommitted edits (nothing here touches the checkout).
      await startOwnedRun(ctx, async () => {
        if (opts.take || ctx.remote) await createIntegration({ repo, home, run: record.runId, base: plan.defaults.base, allowDirty: true });
      });
      await recoverRun(ctx, { ...record, supervisors: previous });
      if (opts.includeCancelled) await reviveCancelled(ctx);
    } else {
      try {
        await startOwnedRun(ctx, () => createIntegration({ repo, home, run: record.runId, base: plan.defaults.base }));
        await createTasks(ctx);
      } catch (e) {
        // Recorded but never started: say so, rather than leave a "running" run nothing drives.
        await bestEffort('recording the failed start', store.updateRun(scope, record.runId, token, { status: 'failed', finishedAt: Date.now() }), warn);
        throw e;
      }
    }
    record.status = 'running';
    await saveRunRecord(store, scope, record, { token });
    await store.recordEvent(scope, 'run.started', { plan: plan.name, maxAgents: record.maxAgents, resumed: Boolean(opts.resume) }, { runId: record.runId, instanceId: supervisor.id });
    opts.onStart?.({ store, scope, runId: record.runId, plan });

    // The report, the results and the run's status, as they stand now.
    const settle = async (outcome: SuperviseResult) => {
      // A planner may have grown the run while it ran: the report covers every package it has now.
      if (opts.take) record.plan = ctx.plan = await ctx.refreshPlan!();
      const report = await reportRun(ctx, record, outcome);
      writeSummary(ctx, report);
      record.status = outcome.stoppedBy === 'interrupt' && !outcome.quiet ? 'interrupted' : report.status;
      record.finishedAt = Date.now();
      await saveRunRecord(store, scope, record, { token });
      await store.recordEvent(scope, 'run.finished', { status: record.status, summary: toPlainJson(report.summary) }, { runId: record.runId });
      return report;
    };
    const outcome = await supervise(ctx, {
      sampler: opts.sampler ?? new SystemSampler(),
      maxAgents: record.maxAgents,
      signal: opts.signal ? AbortSignal.any([opts.signal, superseded.signal]) : superseded.signal,
      onDecision: opts.onDecision,
      pool: opts.pool,
      types: opts.types,
      // A worker keeps a planner's run: its next spawn starts at once.
      linger: opts.take && plan.kind === 'planner' ? { onQuiet: async (attempts) => void (await settle({ attempts, stoppedBy: null, quiet: true })) } : undefined,
    });
    if (superseded.signal.aborted) {
      throw new DaedalusError('LEASE_LOST', `run ${record.runId} was taken over by another supervisor; this one stopped`, 'follow the run with `daedalus runs` and `daedalus bus tasks`');
    }

    const report = await settle(outcome);
    // The learner: what this run taught about each task type, for adaptive runs after it.
    await bestEffort('learning from the run', learnFromRun(store, scope, record.runId, supervisor.id), warn);
    let finish: FinishResult | null = null;
    if (opts.finish && report.counts.done === report.tasks.length) {
      finish = await finishRun({ repo, home, run: record.runId });
    }
    if (opts.cleanup !== false && outcome.stoppedBy !== 'interrupt') {
      const outcomes = Object.fromEntries(
        report.tasks.map((t) => [t.id, t.state === 'done' ? 'done' : t.failureKind === 'conflict' ? 'conflict' : t.state === 'cancelled' ? 'cancelled' : 'failed'] as const),
      );
      await bestEffort('cleanup', cleanupRun({ repo, home, run: record.runId, outcomes, removeIntegrationWorktree: true }), warn);
    }
    return { runId: record.runId, repo, report, finish };
  }, (e) => warn(`shutdown: ${describeError(e)}`));
}

/** The plan with every agent package in the given mode (shell packages have no panes). */
function withMode(plan: Plan, mode: 'headless' | 'interactive' | undefined): Plan {
  if (!mode) return plan;
  return { ...plan, packages: plan.packages.map((p) => (p.harness === 'shell' ? p : { ...p, mode })) };
}

/** The plan's packages become the run's tasks, ranked for dispatch, in one batch (all or nothing). */
async function createTasks(ctx: RunContext): Promise<void> {
  const tasks = await recordRunTasks(ctx.store, ctx.scope, ctx.runId, ctx.plan.packages, ctx.plan.defaults, ctx.supervisorId);
  ctx.note(`run ${ctx.runId}: ${tasks.length} tasks on ${formatAddress(resolveBusAddress(ctx.busAddress))}`);
}
