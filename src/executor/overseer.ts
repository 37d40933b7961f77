import type { InstanceStore, LeaseStore, TaskStore } from '../bus/index.js';
import { bestEffort, describeError, formatDuration, isDaedalusError, type Warn } from '../common/index.js';
import type { AgentProcess } from '../harness/index.js';
import type { Package } from '../plan/index.js';
import type { TaskUsage } from '../resources/index.js';

/** What the overseer needs of the run: a narrow slice of the bus, the lease length, usage, a clock. */
export interface OverseerDeps {
  store: Pick<TaskStore, 'getTask'> & Pick<LeaseStore, 'reportProgress'> & Pick<InstanceStore, 'heartbeat'>;
  leaseMs: number;
  tracker: { get(taskId: string): TaskUsage | undefined };
  /** Injected by tests; default Date.now. */
  now?: () => number;
  warn: Warn;
}

/** Why the overseer stopped an agent; the end is then classified as this kind. */
export interface Stop {
  /** stopped, requeued: the executor's own reasons, not counted; released: the task had already left the attempt. */
  kind: 'timeout' | 'oom' | 'lease-lost' | 'stopped' | 'requeued' | 'released';
  reason: string;
}

const TICK_MS = 500;
/** As often as an MCP server heartbeats its instance. */
const BEAT_MS = 5000;

/**
 * Watches one agent: wall-clock timeout, idle timeout (no output and no progress on the bus; not
 * for an agent a person has taken over by typing into its pane — they may think for a long time),
 * memory cap (its whole process tree), and keeps the task's lease alive while the agent shows
 * signs of life — so a hung agent loses its lease and a busy one never does. Stopping kills the
 * process group: SIGTERM, then SIGKILL.
 */
export class Overseer {
  private lastActivity: number;
  private lastRenew: number;
  private timer: NodeJS.Timeout | null = null;
  private stop: Stop | null = null;
  private lastProgress = '';
  private pausedSince: number | null = null;
  private pausedMs = 0;
  /** updatedAt of the task after our own last renewal. */
  private ownUpdate = 0;
  private lastBeat = 0;
  /** A person typed into the agent's pane: it is theirs now, and silence is no reason to stop it. */
  private takenOver = false;

  private readonly now: () => number;
  private readonly startedAt: number;

  constructor(
    private readonly ctx: OverseerDeps,
    private readonly taskId: string,
    private readonly token: string,
    /** The agent's instance on the bus, kept alive while the agent is paused. */
    private readonly instanceId: string,
    private readonly pkg: Package,
    private readonly proc: AgentProcess,
  ) {
    this.now = ctx.now ?? Date.now;
    this.startedAt = this.now();
    this.lastActivity = this.now();
    this.lastRenew = this.now();
    proc.onEvent((e) => {
      this.lastActivity = this.now();
      if (e.kind === 'progress') this.lastProgress = e.text;
      if (e.kind === 'intercepted' && !this.takenOver) {
        this.takenOver = true;
        void bestEffort(`marking ${this.instanceId} intercepted`, this.ctx.store.heartbeat(this.instanceId, 'intercepted', { pane: e.pane, taskId: this.taskId }), this.ctx.warn);
      }
    });
  }

  start(): void {
    // A look that fails (the bus away past its retry budget) is one missed look, not a crash.
    this.timer = setInterval(() => void this.tick().catch((e: unknown) => this.ctx.warn(`watching ${this.taskId}: ${describeError(e)}`)), TICK_MS);
  }

  /** Stops the agent for a reason of the supervisor's own (Ctrl-C, requeue under pressure). */
  async halt(stop: Stop, graceMs = 5000): Promise<void> {
    this.stop ??= stop;
    await this.proc.terminate(graceMs);
  }

  /**
   * The resource gate stopped the process group (SIGSTOP): its MCP server can neither renew the
   * lease nor heartbeat its instance, and it produces no output. So the overseer does both for it
   * (or the sweep would declare the instance gone and hand the task to another attempt) and does
   * not count the pause as idle time.
   */
  pause(): void {
    this.pausedSince ??= this.now();
  }

  resume(): void {
    if (this.pausedSince === null) return;
    this.pausedMs += this.now() - this.pausedSince;
    this.pausedSince = null;
    this.lastActivity = this.now();
  }

  get stopped(): Stop | null {
    return this.stop;
  }

  get intercepted(): boolean {
    return this.takenOver;
  }

  get progress(): string {
    return this.lastProgress;
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One look at the agent; the timer calls it every TICK_MS, tests call it with their own clock. */
  async tick(): Promise<void> {
    if (this.stop) return;
    const now = this.now();
    if (this.pausedSince !== null) {
      if (now - this.lastBeat >= BEAT_MS) {
        this.lastBeat = now;
        await bestEffort(`heartbeat of paused agent ${this.instanceId}`, this.ctx.store.heartbeat(this.instanceId, 'working'), this.ctx.warn);
      }
      if (now - this.lastRenew > this.ctx.leaseMs / 3) await this.renew();
      return;
    }
    const age = now - this.startedAt - this.pausedMs;
    if (age > this.pkg.timeoutMs) return void this.halt({ kind: 'timeout', reason: `ran past its timeout of ${formatDuration(this.pkg.timeoutMs)}` });
    const usage = this.ctx.tracker.get(this.taskId);
    if (this.pkg.memoryLimitBytes && usage && usage.rssBytes > this.pkg.memoryLimitBytes) {
      return void this.halt({
        kind: 'oom',
        reason: `used ${mb(usage.rssBytes)} MB, over its memory limit of ${mb(this.pkg.memoryLimitBytes)} MB`,
      });
    }
    if (!this.takenOver && now - this.lastActivity > this.pkg.idleTimeoutMs) {
      // Output is one sign of life; the agent's own calls on the bus (progress, any tool call that
      // renews its lease) are the other. Our renewals touch the task too, and are no sign of life.
      const t = await this.ctx.store.getTask(this.taskId);
      if (t && t.updatedAt > this.lastActivity && t.updatedAt !== this.ownUpdate) this.lastActivity = t.updatedAt;
      if (this.now() - this.lastActivity > this.pkg.idleTimeoutMs) {
        return void this.halt({ kind: 'timeout', reason: `idle: no output and no progress for ${formatDuration(this.pkg.idleTimeoutMs)}` });
      }
    }
    // While we watch, the lease is kept: the idle timeout, not a lapsed lease, ends a silent agent.
    // Letting it lapse would hand the task to a new attempt while this one still runs.
    if (now - this.lastRenew > this.ctx.leaseMs / 3) await this.renew();
  }

  private async renew(): Promise<void> {
    this.lastRenew = this.now();
    try {
      this.ownUpdate = (await this.ctx.store.reportProgress(this.taskId, this.token, this.ctx.leaseMs, null)).updatedAt;
    } catch (e) {
      // Finished meanwhile (complete/fail through the bus): nothing to renew. Anything else means the lease moved on.
      if (isDaedalusError(e, 'LEASE_LOST')) return void this.halt({ kind: 'lease-lost', reason: 'its lease moved on to another attempt' });
    }
  }
}

// MB as plans write it (powers of 1000), so the limit reads as it was set.
const mb = (b: number) => Math.round(b / 1000 ** 2);
