import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { formatAddress, openStore, resolveBusAddress, resolveScope, toPlainJson, type Store, type TaskInput } from '../bus/index.js';
import { bestEffort, daedalusHome, DaedalusError, describeError, isDaedalusError, withReleasers } from '../common/index.js';
import { availableHarnesses, daedalusCommand, getHarness, type Harness } from '../harness/index.js';
import { planCheck, resolveEstimates, type Plan } from '../plan/index.js';
import { SystemSampler, TaskUsageTracker, type GateDecision, type Sampler } from '../resources/index.js';
import { dispatchKeys, historyFallback, learnedEstimates, summariseLearnings } from '../schedule/index.js';
import { createIntegration, finishRun, cleanupRun, type FinishResult } from '../workspace/index.js';
import { reviveCancelled, supervise, taskIdFor, type RunContext } from '../executor/index.js';
import { claimSupervision, recoverRun } from './recover.js';
import { buildReport, writeResults, type RunReport } from './report.js';
import { createRunRecord, learnFromRun, loadRunForResume, saveRunRecord, type RunRecord } from '../records/index.js';

export interface RunOptions {
  /** A plan file, package file or directory. Not needed with resume. */
  plan?: string;
  /** Resume this run instead of starting one. */
  resume?: string;
  /** With resume: cancelled tasks (emergency degradation, a person) get another attempt too. */
  includeCancelled?: boolean;
  /** The repository (default: the current directory's). */
  repo?: string;
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

function newRunId(plan: Plan): string {
  const slug = plan.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32) || 'run';
  return `${slug}-${Date.now().toString(36)}`;
}

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
  const store = await openStore(address);
  const warn = (line: string) => opts.onNote?.(line);
  return withReleasers(async (defer) => {
    defer(() => store.close());
    const scope = resolveScope(repo, {});
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
      harness: (name) => {
        const h = harnesses[name];
        if (!h) throw new DaedalusError('PLAN_INVALID', `harness "${name}" is not available`, `use one of ${Object.keys(harnesses).join(', ')}`);
        return h;
      },
      tracker: new TaskUsageTracker(),
      note: (line) => opts.onNote?.(line),
      keepWorktrees: opts.cleanup === false,
    };

    if (opts.resume) {
      await recoverRun(ctx, { ...record, supervisors: previous });
      if (opts.includeCancelled) await reviveCancelled(ctx);
    } else {
      try {
        await createIntegration({ repo, home, run: record.runId, base: plan.defaults.base });
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

    const outcome = await supervise(ctx, {
      sampler: opts.sampler ?? new SystemSampler(),
      maxAgents: record.maxAgents,
      signal: opts.signal ? AbortSignal.any([opts.signal, superseded.signal]) : superseded.signal,
      onDecision: opts.onDecision,
    });
    if (superseded.signal.aborted) {
      throw new DaedalusError('LEASE_LOST', `run ${record.runId} was taken over by another supervisor; this one stopped`, 'follow the run with `daedalus runs` and `daedalus bus tasks`');
    }

    const report = await buildReport(ctx, record, outcome);
    await writeResults(ctx, report);
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
    record.status = outcome.stoppedBy === 'interrupt' ? 'interrupted' : report.status;
    record.finishedAt = Date.now();
    await saveRunRecord(store, scope, record, { token });
    await store.recordEvent(scope, 'run.finished', { status: record.status, summary: toPlainJson(report.summary) }, { runId: record.runId });
    return { runId: record.runId, repo, report, finish };
  }, (e) => warn(`shutdown: ${describeError(e)}`));
}

/** The plan's packages become the run's tasks, ranked for dispatch, in one batch (all or nothing). */
async function createTasks(ctx: RunContext): Promise<void> {
  const { plan } = ctx;
  const history = await ctx.store.listHistory(ctx.scope, { limit: 500 });
  const fromHistory = historyFallback(history);
  // Adaptive runs rank by what the learner knows of each type first.
  const learned = plan.defaults.strategy === 'adaptive' ? learnedEstimates(summariseLearnings(await ctx.store.listLearnings(ctx.scope, { limit: 2000 }))) : new Map<string, number>();
  const estimates = resolveEstimates(plan.packages, { fallback: (p) => learned.get(p.type) ?? fromHistory(p) });
  const keys = dispatchKeys(plan.packages, estimates.ms);
  const inputs: TaskInput[] = plan.packages.map((p) => ({
    id: taskIdFor(ctx.runId, p.id),
    runId: ctx.runId,
    key: p.id,
    type: p.type,
    title: p.description.split('\n')[0]!.slice(0, 200),
    description: p.description,
    payload: { package: p.id, harness: p.harness, files: p.inputs.files },
    priority: keys.get(p.id)?.priority ?? p.priority,
    rank: keys.get(p.id)?.rank ?? 0,
    estimateMs: estimates.ms.get(p.id) ?? null,
    maxAttempts: p.maxAttempts,
    dependentsPolicy: plan.defaults.onFailure,
    integrate: plan.defaults.integrate,
    dependsOn: p.dependsOn.map((d) => taskIdFor(ctx.runId, d)),
    idempotencyKey: taskIdFor(ctx.runId, p.id),
  }));
  await ctx.store.createTasks(ctx.scope, inputs, ctx.supervisorId);
  ctx.note(`run ${ctx.runId}: ${inputs.length} tasks on ${formatAddress(resolveBusAddress(ctx.busAddress))}`);
}
