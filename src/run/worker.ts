import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { openStore, resolveBusAddress, resolveScope, type Store, type StoreOptions } from '../bus/index.js';
import { bestEffort, daedalusHome, describeError, isDaedalusError, processAlive, withReleasers } from '../common/index.js';
import { AgentPool } from '../executor/index.js';
import type { Harness } from '../harness/index.js';
import { EXECUTOR_ROLE, liveExecutors } from '../records/index.js';
import type { GateDecision, Sampler } from '../resources/index.js';
import { RunHelpers } from './assist.js';
import { runPlan, type RunResult } from './run.js';

export interface WorkerOptions {
  repo?: string;
  home?: string;
  bus?: string;
  /** Agents at once across every run this worker executes (default 4). */
  agents?: number;
  /** Run every agent task with this harness. */
  harness?: string;
  /** Only tasks of these types. */
  types?: readonly string[];
  /** Only this run's tasks. */
  run?: string;
  /** The bus scope (default: the repository's root): every host of one swarm names the same. */
  scope?: string;
  /**
   * The git remote the hosts share (docs/multi-machine.md): runs another host owns are executed
   * here too, their tasks' work pushed for the owner to merge; runs this worker owns are pushed.
   */
  remote?: string;
  /** Start every agent in a tmux pane (interactive) or headless, whatever its package says. */
  mode?: 'headless' | 'interactive';
  /** Exit at once when another executor of the scope is alive (the MCP server's background start). */
  singleton?: boolean;
  signal?: AbortSignal;
  leaseMs?: number;
  /** Injected for tests: how soon silent instances count as stale and gone (a dead host's fences lift then). */
  busOptions?: Pick<StoreOptions, 'staleAfterMs' | 'goneAfterMs'>;
  /** Injected for tests. */
  sampler?: Sampler;
  harnesses?: Record<string, Harness>;
  onNote?: (line: string) => void;
  onDecision?: (d: GateDecision) => void;
  /** Called once the worker is registered on the bus. */
  onReady?: (info: { instanceId: string; scope: string }) => void;
}

export interface WorkerResult {
  instanceId: string | null;
  /** The runs it executed to an end (or to its stop), in the order they ended. */
  runs: RunResult[];
  /** Why it exited: stopped, or another executor already serves the scope (singleton). */
  exit: 'stopped' | 'another-executor';
}

/** How long the worker sleeps when no event comes: the backstop for runs whose supervisor died silently. */
const IDLE_WAIT_MS = 2000;
/** A run the worker failed to take up is not tried again for this long. */
const RETRY_TAKE_MS = 30_000;

/**
 * `daedalus worker`: the executor alone, long-lived. It takes up every run of the scope that has
 * ready tasks and no live supervisor — a plan run whose supervisor died, a planner's run grown over
 * MCP — and executes it as `daedalus run --resume` would: one claim per run on the bus, so two
 * workers never supervise one run. Its agent slots are shared by all the runs it executes.
 * Stopping it (SIGTERM, `--stop`) stops its agents and gives their tasks back as ready.
 */
export async function runWorker(opts: WorkerOptions): Promise<WorkerResult> {
  const repo = resolveScope(resolve(opts.repo ?? process.cwd()), {});
  const home = opts.home ?? daedalusHome();
  const store = await openStore(resolveBusAddress(opts.bus), opts.busOptions);
  const note = (line: string) => opts.onNote?.(line);
  return withReleasers(async (defer) => {
    defer(() => store.close());
    const scope = opts.scope ?? resolveScope(repo, {});
    const agents = opts.agents ?? 4;
    const me = await store.registerInstance({
      scope,
      role: EXECUTOR_ROLE,
      label: `origin:daedalus worker role:${EXECUTOR_ROLE}`,
      pid: process.pid,
      host: hostname(),
      fileRoot: repo,
      meta: { agents, mode: opts.mode ?? null, types: opts.types ? [...opts.types] : null, run: opts.run ?? null, harness: opts.harness ?? null },
    });
    defer(() => store.deregisterInstance(me.id, 'worker stopped'));
    if (opts.singleton) {
      const older = (await liveExecutors(store, scope)).filter((i) => i.id !== me.id && i.registeredAt <= me.registeredAt);
      if (older.length > 0) {
        note(`another executor serves ${scope} already (${older[0]!.id}, pid ${older[0]!.pid ?? '?'}); this one exits`);
        return { instanceId: me.id, runs: [], exit: 'another-executor' };
      }
    }
    const heartbeat = setInterval(() => void bestEffort('worker heartbeat', store.heartbeat(me.id, supervising.size > 0 ? 'working' : 'idle'), note), 5000);
    defer(() => clearInterval(heartbeat));
    opts.onReady?.({ instanceId: me.id, scope });
    note(`worker ${me.id}: executing ready tasks of ${scope} with up to ${agents} agent(s)`);

    const pool = new AgentPool(agents);
    const stopAll = new AbortController();
    const supervising = new Map<string, Promise<void>>();
    const refused = new Map<string, number>();
    const runs: RunResult[] = [];
    let wake = new AbortController();
    const onStop = () => {
      stopAll.abort();
      wake.abort();
    };
    if (opts.signal?.aborted) onStop();
    opts.signal?.addEventListener('abort', onStop);
    defer(() => opts.signal?.removeEventListener('abort', onStop));

    const take = (runId: string) => {
      const done = runPlan({
        resume: runId,
        take: true,
        store,
        repo,
        scope,
        remote: opts.remote,
        home,
        bus: opts.bus,
        pool,
        types: opts.types,
        harnessOverride: opts.harness,
        modeOverride: opts.mode,
        leaseMs: opts.leaseMs,
        sampler: opts.sampler,
        harnesses: opts.harnesses,
        signal: stopAll.signal,
        onNote: note,
        onDecision: opts.onDecision,
      }).then(
        (r) => {
          runs.push(r);
          note(`run ${runId}: ${r.report.status}`);
        },
        (e: unknown) => {
          // Another supervisor claimed it first: not ours. Anything else is said, and tried later.
          if (!isDaedalusError(e, 'INVALID_STATE') || !/supervis/.test(e.message)) note(`run ${runId}: ${describeError(e)}`);
          refused.set(runId, Date.now());
        },
      ).finally(() => {
        supervising.delete(runId);
        wake.abort();
      });
      supervising.set(runId, done);
    };

    const address = resolveBusAddress(opts.bus);
    const helpers = new RunHelpers(
      { store, busAddress: address.kind === 'sqlite' ? `sqlite:${address.path}` : address.url, scope, repo, home, remote: opts.remote ?? '', pool, types: opts.types, harnessOverride: opts.harness, leaseMs: opts.leaseMs, sampler: opts.sampler, harnesses: opts.harnesses, onNote: note },
      stopAll.signal,
      () => wake.abort(),
    );

    let cursor = (await store.readEvents(scope, { after: 0, limit: 1, newest: true }))[0]?.id ?? 0;
    while (!stopAll.signal.aborted) {
      for (const runId of await runsToTake(store, scope, opts.run)) {
        if (supervising.has(runId)) continue;
        if (!(await unsupervised(store, scope, runId))) {
          // Another host owns it: with a shared remote, its tasks run here too.
          if (opts.remote && !helpers.has(runId)) helpers.start(runId);
          continue;
        }
        if (Date.now() - (refused.get(runId) ?? 0) < RETRY_TAKE_MS) continue;
        await helpers.stop(runId);
        take(runId);
      }
      if (stopAll.signal.aborted) break;
      wake = new AbortController();
      const r = await store
        .waitForEvents(scope, { after: cursor, types: ['task.ready', 'task.created', 'run.'], timeoutMs: IDLE_WAIT_MS, signal: wake.signal, limit: 100 })
        .catch((e: unknown) => {
          if (!wake.signal.aborted) note(`waiting for work: ${describeError(e)}`);
          return null;
        });
      if (r) cursor = r.cursor;
    }
    await Promise.all([...supervising.values(), helpers.all()]);
    return { instanceId: me.id, runs, exit: 'stopped' as const };
  }, (e) => note(`shutdown: ${describeError(e)}`));
}

/**
 * Runs with work ready or in flight: the ones an executor may have to take up. In-flight work
 * counts too, because a supervisor that died mid-run may leave nothing ready: its tasks are still
 * leased, running or integrating, and would wait for their leases to lapse before anyone noticed.
 */
async function runsToTake(store: Store, scope: string, only: string | undefined): Promise<string[]> {
  return store.taskRunIds(scope, { states: ['ready', 'leased', 'running', 'integrating'], runId: only });
}

/** True when nobody holds the run's claim: no supervisor, a lapsed claim, or a gone one. */
async function unsupervised(store: Store, scope: string, runId: string): Promise<boolean> {
  const run = await store.getRunStanding(scope, runId);
  if (!run) return false; // tasks with a run id but no run record: nothing an executor can run
  if (!run.supervisor || (run.supervisorUntil ?? 0) < Date.now()) return true;
  const holder = await store.getInstance(run.supervisor);
  if (!holder || holder.status === 'gone' || holder.status === 'stale') return true;
  // On this host a dead pid settles it at once (claimSupervision vouches for it with the epoch).
  return holder.host === hostname() && holder.pid !== null && !processAlive(holder.pid);
}
