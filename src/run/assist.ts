import { hostname } from 'node:os';
import type { Store } from '../bus/index.js';
import { DaedalusError, describeError, withReleasers } from '../common/index.js';
import { lazyMcpHost, supervise, type AgentPool, type RunContext, type SuperviseResult } from '../executor/index.js';
import { availableHarnesses, daedalusCommand, getHarness, type Harness } from '../harness/index.js';
import { loadRunForResume } from '../records/index.js';
import { SystemSampler, TaskUsageTracker, type Sampler } from '../resources/index.js';
import { fetchIntegration } from '../workspace/index.js';

export interface AssistOptions {
  store: Store;
  busAddress: string;
  scope: string;
  /** This host's clone. */
  repo: string;
  home: string;
  runId: string;
  /** The git remote the run's owner pushes the integration branch to. */
  remote: string;
  pool: AgentPool;
  types?: readonly string[];
  harnessOverride?: string;
  leaseMs?: number;
  signal: AbortSignal;
  sampler?: Sampler;
  harnesses?: Record<string, Harness>;
  onNote?: (line: string) => void;
}

/** How often a helper looks again for the owner's first push of the integration branch. */
const FIRST_PUSH_POLL_MS = 500;

/**
 * A worker on a host that does not own the run executes its ready tasks all the same
 * (docs/multi-machine.md): each task starts from the remote's integration branch and its work is
 * pushed back for the owner to merge. It never claims the run, records no report and merges
 * nothing; it ends when the run has nothing left to execute, or when stopped.
 */
export async function assistRun(o: AssistOptions): Promise<SuperviseResult> {
  const { store, scope } = o;
  // The run as its owner recorded it, digest checked with the key the hosts share.
  const record = await loadRunForResume(store, scope, o.runId, o.home);
  const harnesses = { ...Object.fromEntries(availableHarnesses().map((h) => [h, getHarness(h)])), ...o.harnesses };
  return withReleasers(async (defer) => {
    const me = await store.registerInstance({
      scope,
      role: 'supervisor',
      label: `origin:daedalus worker run:${o.runId} role:helper`,
      pid: process.pid,
      host: hostname(),
      fileRoot: o.repo,
      meta: { helps: o.runId, remote: o.remote },
    });
    defer(() => store.deregisterInstance(me.id, 'helper stopped'));
    const heartbeat = setInterval(() => void store.heartbeat(me.id, 'working').catch(() => undefined), 5000);
    defer(() => clearInterval(heartbeat));
    const ctx: RunContext = {
      store,
      busAddress: o.busAddress,
      scope,
      repo: o.repo,
      runId: o.runId,
      plan: record.plan,
      supervisorId: me.id,
      home: o.home,
      leaseMs: o.leaseMs ?? 5 * 60_000,
      daedalus: daedalusCommand(),
      mcpHost: lazyMcpHost(store, defer, (line) => o.onNote?.(line)),
      harness: (name) => {
        const h = harnesses[o.harnessOverride && name !== 'shell' ? o.harnessOverride : name];
        if (!h) throw new DaedalusError('PLAN_INVALID', `harness "${name}" is not available`, `use one of ${Object.keys(harnesses).join(', ')}`);
        return h;
      },
      tracker: new TaskUsageTracker(),
      note: (line) => o.onNote?.(line),
      keepWorktrees: false,
      refreshPlan: async () => (await loadRunForResume(store, scope, o.runId, o.home)).plan,
      remote: { name: o.remote, owner: false },
    };
    // Nothing can start before the owner's first push: every task starts from that branch.
    while (!o.signal.aborted && !(await fetchIntegration({ repo: o.repo, home: o.home, run: o.runId, remote: o.remote }))) {
      await new Promise((r) => setTimeout(r, FIRST_PUSH_POLL_MS));
    }
    return supervise(ctx, {
      sampler: o.sampler ?? new SystemSampler(),
      maxAgents: record.maxAgents,
      signal: o.signal,
      pool: o.pool,
      types: o.types,
    });
  }, (e) => o.onNote?.(`helper of ${o.runId}: ${describeError(e)}`));
}

/**
 * The runs a worker helps with but does not own, one helper each. A helper is stopped before its
 * worker takes the run over (its owner died): the owner's recovery gives back every lease of the run.
 */
export class RunHelpers {
  private readonly running = new Map<string, { stop: AbortController; done: Promise<void> }>();

  constructor(
    private readonly base: Omit<AssistOptions, 'runId' | 'signal'>,
    private readonly stopAll: AbortSignal,
    private readonly onEnd: () => void,
  ) {}

  has(runId: string): boolean {
    return this.running.has(runId);
  }

  start(runId: string): void {
    const stop = new AbortController();
    const done = assistRun({ ...this.base, runId, signal: AbortSignal.any([stop.signal, this.stopAll]) })
      .then(
        () => undefined,
        (e: unknown) => this.base.onNote?.(`helping with run ${runId}: ${describeError(e)}`),
      )
      .finally(() => {
        this.running.delete(runId);
        this.onEnd();
      });
    this.running.set(runId, { stop, done });
  }

  async stop(runId: string): Promise<void> {
    const h = this.running.get(runId);
    if (!h) return;
    h.stop.abort();
    await h.done;
  }

  async all(): Promise<void> {
    await Promise.all([...this.running.values()].map((h) => h.done));
  }
}
