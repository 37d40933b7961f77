import type { BusEvent, Instance, Json, Task } from '../bus/index.js';
import { priceFor, priceTokens } from '../harness/index.js';

/**
 * The soak metrics an operator watches a swarm by (the swarm-launcher note's Wave 4 list), computed
 * from the bus alone: its event log, its tasks and its instances. Pure: the same inputs give the
 * same figures, so tests compute them by hand.
 */
export interface SoakMetrics {
  window: { runId: string | null; since: number | null; events: number; firstEventAt: number | null; lastEventAt: number | null };
  /** Agents Daedalus reserved and gave a task whose MCP server never took the reservation up. */
  adoption: { spawned: number; adopted: number; failed: number; pending: number; failureRate: number | null };
  /** From a task's claim for an agent to the end of that attempt (done, failed, cancelled, retried). */
  spawnToTerminal: { attempts: number; medianMs: number | null; p90Ms: number | null };
  /** Failed attempts by failure kind (automatic retries and final failures), most frequent first. */
  errorClasses: { kind: string; count: number }[];
  /** What agents reported spending against their tokens × the price table. */
  costDrift: { tasks: number; reportedUsd: number; expectedUsd: number; driftUsd: number; driftPercent: number | null };
  /** Retries (automatic and by a person) per task that was ever claimed. */
  retries: { tasks: number; retries: number; perTask: number | null; max: number; byTask: { taskId: string; retries: number }[] };
  /** Integrations that ended in a merge conflict. */
  mergeConflicts: { integrations: number; conflicts: number; rate: number | null };
  /** How planner agents steer: follow-up messages to workers against fresh workers, and fan-out per spawn call. */
  planner: { planners: number; followUps: number; freshWorkers: number; spawns: number; fanOutMean: number | null; fanOutMax: number; followUpShare: number | null };
}

export interface MetricsInput {
  events: BusEvent[];
  tasks: Task[];
  /** Every instance of the scope, gone ones included (roles and adoption). */
  instances: Instance[];
  runId?: string | null;
  since?: number | null;
  /** DAEDALUS_PRICE_PER_MTOK and the like, for the expected cost. */
  env?: Record<string, string>;
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
const obj = (v: Json | undefined): Record<string, Json> => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});

/** The median of an even count is the mean of the two middle values. */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest rank. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const ATTEMPT_ENDS = new Set(['task.done', 'task.failed', 'task.cancelled', 'task.retry']);

export function computeMetrics(input: MetricsInput): SoakMetrics {
  const runId = input.runId ?? null;
  const since = input.since ?? null;
  const byId = new Map(input.tasks.map((t) => [t.id, t]));
  const instances = new Map(input.instances.map((i) => [i.id, i]));
  const events = input.events.filter((e) => since === null || e.at >= since);
  const ofRun = (e: BusEvent) => runId === null || e.runId === runId;
  const taskEvents = events.filter((e) => e.taskId !== null && ofRun(e));

  // Adoption: an agent was spawned for every reservation that got a task (the executor claims for
  // a reserved instance, then starts the agent). Shell packages run no MCP server and never adopt.
  const spawned = new Set<string>();
  for (const e of taskEvents) {
    if (e.type !== 'task.leased') continue;
    const inst = instances.get(e.data.owner);
    const harness = obj(byId.get(e.taskId!)?.payload).harness;
    if (inst?.reservedBy && harness !== 'shell') spawned.add(inst.id);
  }
  let adopted = 0;
  let failed = 0;
  for (const id of spawned) {
    const inst = instances.get(id)!;
    if (inst.adopted) adopted++;
    else if (inst.status === 'gone') failed++;
  }

  // Attempts: claim → the event that ended that attempt.
  const open = new Map<string, number>();
  const spans: number[] = [];
  for (const e of taskEvents) {
    if (e.type === 'task.leased') open.set(e.taskId!, e.at);
    else if (ATTEMPT_ENDS.has(e.type) && open.has(e.taskId!)) {
      spans.push(e.at - open.get(e.taskId!)!);
      open.delete(e.taskId!);
    }
  }

  const kinds = new Map<string, number>();
  const retriesOf = new Map<string, number>();
  const claimed = new Set<string>();
  let integrations = 0;
  let conflicts = 0;
  for (const e of taskEvents) {
    const id = e.taskId!;
    if (e.type === 'task.leased') claimed.add(id);
    if (e.type === 'task.retry' || e.type === 'task.failed') {
      const k = e.data.kind ?? 'unspecified';
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    if (e.type === 'task.retry' || e.type === 'task.retried') retriesOf.set(id, (retriesOf.get(id) ?? 0) + 1);
    if (e.type === 'task.integrating') integrations++;
    if (e.type === 'task.failed' && e.data.kind === 'conflict') conflicts++;
  }
  const retries = [...retriesOf.values()].reduce((a, b) => a + b, 0);

  // Cost drift, over the tasks these events touched that report both a cost and their tokens.
  const touched = new Set(taskEvents.map((e) => e.taskId!));
  let reportedUsd = 0;
  let expectedUsd = 0;
  let priced = 0;
  for (const id of touched) {
    const result = obj(byId.get(id)?.result);
    const usage = obj(result.usage);
    const cost = Number(result.cost_usd);
    if (!Number.isFinite(cost) || usage.input_tokens === undefined) continue;
    const model = typeof result.model === 'string' ? result.model : undefined;
    const { price } = priceFor(model, input.env ?? {});
    reportedUsd += cost;
    expectedUsd += priceTokens(price, { input: Number(usage.input_tokens) || 0, cachedInput: Number(usage.cached_input_tokens) || 0, output: Number(usage.output_tokens) || 0 });
    priced++;
  }

  // Planner behaviour: its messages (follow-ups) against the tasks it created, one spawn per call
  // (tasks created in one transaction share the creator and the time).
  const planners = new Set(input.instances.filter((i) => i.role === 'planner').map((i) => i.id));
  const inRun = new Set(taskEvents.filter((e) => e.type === 'task.created').map((e) => e.instanceId));
  const relevant = (id: string | null) => id !== null && planners.has(id) && (runId === null || inRun.has(id));
  let followUps = 0;
  const spawnSizes = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'message.sent' && relevant(e.data.from)) followUps++;
    if (e.type === 'task.created' && ofRun(e) && relevant(e.instanceId)) {
      const key = `${e.instanceId}@${e.at}`;
      spawnSizes.set(key, (spawnSizes.get(key) ?? 0) + 1);
    }
  }
  const sizes = [...spawnSizes.values()];
  const freshWorkers = sizes.reduce((a, b) => a + b, 0);

  const round = (n: number) => Math.round(n * 1e6) / 1e6;
  return {
    window: { runId, since, events: events.length, firstEventAt: events[0]?.at ?? null, lastEventAt: events.at(-1)?.at ?? null },
    adoption: { spawned: spawned.size, adopted, failed, pending: spawned.size - adopted - failed, failureRate: ratio(failed, adopted + failed) },
    spawnToTerminal: { attempts: spans.length, medianMs: median(spans), p90Ms: percentile(spans, 90) },
    errorClasses: [...kinds].map(([kind, count]) => ({ kind, count })).sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind)),
    costDrift: {
      tasks: priced,
      reportedUsd: round(reportedUsd),
      expectedUsd: round(expectedUsd),
      driftUsd: round(reportedUsd - expectedUsd),
      driftPercent: expectedUsd > 0 ? round(((reportedUsd - expectedUsd) / expectedUsd) * 100) : null,
    },
    retries: {
      tasks: claimed.size,
      retries,
      perTask: ratio(retries, claimed.size),
      max: Math.max(0, ...retriesOf.values()),
      byTask: [...retriesOf].map(([taskId, n]) => ({ taskId, retries: n })).sort((a, b) => b.retries - a.retries || a.taskId.localeCompare(b.taskId)),
    },
    mergeConflicts: { integrations, conflicts, rate: ratio(conflicts, integrations) },
    planner: {
      planners: [...planners].filter((p) => relevant(p)).length,
      followUps,
      freshWorkers,
      spawns: sizes.length,
      fanOutMean: ratio(freshWorkers, sizes.length),
      fanOutMax: Math.max(0, ...sizes),
      followUpShare: ratio(followUps, followUps + freshWorkers),
    },
  };
}
