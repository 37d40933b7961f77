import { DaedalusError } from '../common/index.js';
import type { Sampler, SystemSample } from './system.js';
import { classify, resolveThresholds, type Thresholds, type Zone, type ZoneLimits } from './zones.js';

/**
 * The resource gate: how many agents may start now, and when to pause or requeue one. A state
 * machine over (zone, time in danger, paused tasks, last grant) that never touches a process
 * itself: the run applies the action and writes the decision to the bus, and tests drive the
 * gate with a fake sampler and a fake clock.
 *
 * Rules, in order:
 * - danger: start nothing while any agent of the run runs. With none running, one may start
 *   (parallel → constrained → sequential): the pressure then comes from outside the run, and
 *   refusing would only starve it — a busy machine made `daedalus demo` wait forever. When
 *   danger has lasted `sustainedMs` with agents running, pause (or requeue) the
 *   lowest-priority running task, the most recently started among equals (least work lost);
 *   the danger clock then restarts, so the next one goes only if pressure stays another period.
 *   At least `minRunning` tasks always keep running: when the pressure comes from outside the
 *   run, pausing everything would only stop our work and relieve nothing, and nothing would
 *   ever finish to free memory.
 * - safe or warning with paused tasks: resume one per decision before starting anything new
 *   (paused tasks already hold their memory and a slot; finishing them frees both). In warning
 *   a resume waits out the same cooldown as a start, since it adds the same load.
 * - safe: start up to the free slots. Paused tasks count as running for `maxAgents`.
 * - warning: start at most one per cooldown, measured from the last start or resume granted in
 *   any zone, so the load of that agent shows in the figures before the next one goes.
 */

/** How often a run reads the machine and its agents' processes: the gate's pace, not the loop's. */
export const SAMPLE_PACE_MS = 500;

export type PriorityClass = 'critical' | 'high' | 'medium' | 'low';

export interface RunningTask {
  taskId: string;
  priority: PriorityClass;
  /** Epoch ms, on the gate's clock. */
  startedAt: number;
}

export interface GateInput {
  /** Every task with a live agent, paused ones included. */
  running: readonly RunningTask[];
  maxAgents: number;
  queued: number;
}

export interface GateAction {
  kind: 'pause' | 'resume' | 'requeue';
  taskId: string;
}

/** Plain data, ready to be written to the bus as an event. */
export interface GateDecision {
  at: number;
  /** How many new agents may start now. */
  allow: number;
  zone: Zone;
  reason: string;
  action?: GateAction;
  /** Sustained danger and nothing left to pause or requeue: time for emergency degradation. */
  emergency?: boolean;
  /** False when this decision says what the previous one said; the run logs only changes. */
  changed: boolean;
  /** Identity of the decision for `changed`: zone, per-metric zones, allow, action, rule. */
  key: string;
  cpuPercent: number;
  memoryPercent: number;
  /** The memory the percentage is of (bytes): with it, memory admission turns a type's known need into percent. */
  memoryLimitBytes: number;
  cpuSource: string;
  memorySource: string;
  running: number;
  paused: string[];
  queued: number;
  maxAgents: number;
}

export interface GateOptions {
  sampler: Sampler;
  now?: () => number;
  thresholds?: { cpu?: Partial<ZoneLimits>; memory?: Partial<ZoneLimits> };
  cooldownMs?: number;
  sustainedMs?: number;
  onSustainedDanger?: 'pause' | 'requeue';
  minRunning?: number;
  /**
   * A sample younger than this is decided on again instead of reading the machine anew: the run
   * asks at every turn of its loop, many times a second under load, while CPU figures need a
   * quarter of a second between readings to mean anything (the sampler waits for it). Default 0.
   */
  samplePaceMs?: number;
}

const PRIORITY_RANK: Record<PriorityClass, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** Lowest priority first; among equals the most recently started. */
export function pauseOrder(a: RunningTask, b: RunningTask): number {
  return PRIORITY_RANK[b.priority] - PRIORITY_RANK[a.priority] || b.startedAt - a.startedAt;
}

interface Outcome {
  allow: number;
  rule: string;
  reason: string;
  action?: GateAction;
  emergency?: boolean;
}

export class ResourceGate {
  private readonly sampler: Sampler;
  private readonly now: () => number;
  readonly thresholds: Thresholds;
  readonly cooldownMs: number;
  readonly sustainedMs: number;
  readonly onSustainedDanger: 'pause' | 'requeue';
  readonly minRunning: number;
  private readonly pausedTasks = new Map<string, RunningTask>();
  private lastGrantAt: number | undefined;
  private dangerSince: number | undefined;
  private lastKey: string | undefined;
  private readonly samplePaceMs: number;
  private lastSample: SystemSample | undefined;
  private lastSampleAt = 0;

  constructor(opts: GateOptions) {
    this.sampler = opts.sampler;
    this.now = opts.now ?? Date.now;
    this.thresholds = resolveThresholds(opts.thresholds);
    this.cooldownMs = opts.cooldownMs ?? 10_000;
    this.sustainedMs = opts.sustainedMs ?? 30_000;
    this.onSustainedDanger = opts.onSustainedDanger ?? 'pause';
    this.minRunning = opts.minRunning ?? 1;
    this.samplePaceMs = opts.samplePaceMs ?? 0;
    if (!(this.cooldownMs >= 0 && this.sustainedMs >= 0 && Number.isInteger(this.minRunning) && this.minRunning >= 1)) {
      throw new DaedalusError('INVALID_INPUT', 'gate needs cooldown ≥ 0, sustained ≥ 0 and minRunning ≥ 1');
    }
  }

  /** Samples the machine, then decides. */
  async decide(input: GateInput): Promise<GateDecision> {
    const now = this.now();
    if (this.lastSample === undefined || now - this.lastSampleAt >= this.samplePaceMs) {
      this.lastSample = await this.sampler.sample();
      this.lastSampleAt = now;
    }
    return this.evaluate(this.lastSample, input);
  }

  /** Decides on a sample already taken; the only place the gate's state changes. */
  evaluate(sample: SystemSample, input: GateInput): GateDecision {
    const now = this.now();
    const live = new Set(input.running.map((t) => t.taskId));
    // A paused task that left the running list ended (or was killed): nothing to resume.
    for (const id of [...this.pausedTasks.keys()]) if (!live.has(id)) this.pausedTasks.delete(id);
    const z = classify(sample, this.thresholds);
    const slots = Math.max(0, input.maxAgents - input.running.length);
    const o =
      z.zone === 'danger'
        ? this.danger(now, z.detail, input)
        : this.clear(now, z.zone, z.detail, slots, input);
    const act = o.action ? `${o.action.kind}:${o.action.taskId}` : '';
    const key = [z.zone, z.cpuZone, z.memoryZone, o.rule, `allow=${o.allow}`, act].join('|');
    const changed = key !== this.lastKey;
    this.lastKey = key;
    return {
      at: now,
      allow: o.allow,
      zone: z.zone,
      reason: o.reason,
      ...(o.action ? { action: o.action } : {}),
      ...(o.emergency ? { emergency: true } : {}),
      changed,
      key,
      cpuPercent: sample.cpuPercent,
      memoryPercent: sample.memoryPercent,
      memoryLimitBytes: sample.memoryLimitBytes,
      cpuSource: sample.cpuSource,
      memorySource: sample.memorySource,
      running: input.running.length,
      paused: [...this.pausedTasks.keys()],
      queued: input.queued,
      maxAgents: input.maxAgents,
    };
  }

  /** Tasks the gate paused and has not resumed yet. */
  paused(): string[] {
    return [...this.pausedTasks.keys()];
  }

  /** Hands over every paused task (to resume on shutdown) and forgets them. */
  drainPaused(): string[] {
    const ids = this.paused();
    this.pausedTasks.clear();
    return ids;
  }

  private danger(now: number, detail: string, input: GateInput): Outcome {
    this.dangerSince ??= now;
    const lasted = now - this.dangerSince;
    const queue = input.queued > 0 ? `queueing ${plural(input.queued, 'task')}` : 'starting nothing';
    if (input.running.length === 0 && input.queued > 0) {
      this.lastGrantAt = now;
      return {
        allow: 1,
        rule: 'sequential',
        reason: `danger zone (${detail}) with none of this run's agents running: the load is not ours, so running one task at a time (${input.queued} queued)`,
      };
    }
    if (lasted < this.sustainedMs) {
      const then = `${this.onSustainedDanger} the lowest-priority task if this lasts ${seconds(this.sustainedMs)}`;
      return {
        allow: 0,
        rule: 'queue',
        reason: `danger zone (${detail}): ${queue}; ${then} (at +${seconds(this.sustainedMs - lasted, 1)})`,
      };
    }
    const active = input.running.filter((t) => !this.pausedTasks.has(t.taskId));
    const victim = [...active].sort(pauseOrder)[0];
    const head = `danger zone for ${seconds(lasted)} (${detail})`;
    if (!victim || active.length <= this.minRunning) {
      return {
        allow: 0,
        rule: 'keep-running',
        // Sustained danger with nothing left to pause: the supervisor degrades (cancels low-priority work).
        emergency: true,
        reason:
          `${head}: ${queue}; not ${this.onSustainedDanger === 'pause' ? 'pausing' : 'requeueing'}: ` +
          `${plural(active.length, 'task')} running is the minimum kept (the pressure may come from outside the run)`,
      };
    }
    // Restart the clock: the next task goes only if pressure stays for another full period.
    this.dangerSince = now;
    const kind = this.onSustainedDanger;
    if (kind === 'pause') this.pausedTasks.set(victim.taskId, victim);
    const verb = kind === 'pause' ? 'pausing' : 'requeueing';
    return {
      allow: 0,
      rule: kind,
      action: { kind, taskId: victim.taskId },
      reason:
        `${head}: ${verb} task ${victim.taskId} ` +
        `(${victim.priority} priority, started ${seconds(now - victim.startedAt)} ago); ${queue}`,
    };
  }

  private clear(now: number, zone: Zone, detail: string, slots: number, input: GateInput): Outcome {
    this.dangerSince = undefined;
    const head = `${zone} zone (${detail})`;
    const wait = this.lastGrantAt === undefined ? 0 : this.lastGrantAt + this.cooldownMs - now;
    const cooled = zone === 'safe' || wait <= 0;
    const next = [...this.pausedTasks.values()].sort((a, b) => pauseOrder(b, a))[0];
    if (next) {
      if (!cooled) {
        const policy = `resuming paused tasks one per ${seconds(this.cooldownMs)} cooldown`;
        return { allow: 0, rule: 'resume-wait', reason: `${head}: ${policy}, next at +${seconds(wait, 1)}` };
      }
      this.pausedTasks.delete(next.taskId);
      this.lastGrantAt = now;
      const left = this.pausedTasks.size;
      return {
        allow: 0,
        rule: 'resume',
        action: { kind: 'resume', taskId: next.taskId },
        reason: `${head}: resuming task ${next.taskId} before starting new work${left ? ` (${left} still paused)` : ''}`,
      };
    }
    if (input.queued <= 0) return { allow: 0, rule: 'idle', reason: `${head}: nothing queued` };
    if (slots <= 0) {
      return { allow: 0, rule: 'full', reason: `${head}: all ${plural(input.maxAgents, 'slot')} busy, ${input.queued} queued` };
    }
    if (zone === 'safe') {
      const allow = Math.min(slots, input.queued);
      this.lastGrantAt = now;
      const free = `${slots} of ${plural(input.maxAgents, 'slot')} free`;
      return { allow, rule: 'start', reason: `${head}: starting ${allow} of ${input.queued} queued (${free})` };
    }
    const policy = `one agent per ${seconds(this.cooldownMs)} cooldown`;
    if (!cooled) return { allow: 0, rule: 'cooldown', reason: `${head}: ${policy}, next at +${seconds(wait, 1)}` };
    this.lastGrantAt = now;
    return { allow: 1, rule: 'start-one', reason: `${head}: ${policy}, starting 1 of ${input.queued} queued` };
  }
}

function seconds(ms: number, digits?: number): string {
  const s = ms / 1000;
  if (digits !== undefined) return `${s.toFixed(digits)}s`;
  return `${Number.isInteger(s) || s >= 10 ? Math.round(s) : s.toFixed(1)}s`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
