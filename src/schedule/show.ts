/**
 * `daedalus plan show`: the plan's DAG in layers, its critical path and bounds, and what our
 * dispatcher and a layer-by-layer schedule would take on N agents, predicted by simulation.
 * It lives here rather than in src/plan because it needs the simulator.
 */
import { DaedalusError } from '../common/index.js';
import type { EstimateOptions, EstimateOrigin, LoadPlanOptions, Plan, Priority, VerifyCadence } from '../plan/index.js';
import { formatDuration } from '../common/index.js';
import { analyzeDag, loadPlan, overlappingPairs, resolveEstimates, type OverlapPair } from '../plan/index.js';
import { dispatchKeys } from './ranks.js';
import type { SimSlot, SimTask } from './simulate.js';
import { simulate } from './simulate.js';

export interface PlanShowOptions extends LoadPlanOptions {
  /** Agents to plan for; default the plan's max_agents. */
  agents?: number;
  /** How packages without `estimate` are estimated (history fallback, default). */
  estimates?: EstimateOptions;
}

export interface PlanReportPackage {
  id: string;
  type: string;
  priority: Priority;
  estimateMs: number;
  estimateFrom: EstimateOrigin;
  dependsOn: string[];
  /** The rank stored on the bus (upward rank in ms plus a sub-millisecond tie-break). */
  rank: number;
}

/** The JSON form (`plan show --json`). All durations in milliseconds. */
export interface PlanReport {
  plan: string;
  source: string;
  agents: number;
  layers: PlanReportPackage[][];
  criticalPath: { ids: string[]; totalMs: number };
  totalWorkMs: number;
  lowerBoundMs: number;
  makespan: { oursMs: number; wavesMs: number };
  schedule: SimSlot[];
  /** Pairs of packages whose inputs.files can touch the same files, and whether the plan keeps them apart. */
  overlaps: { policy: 'avoid' | 'allow'; pairs: OverlapPair[] };
  /**
   * The verify gate: its commands, how many verify runs the plan makes at most (one per merge, or
   * per batch), and what one run took before (null when nothing was measured yet).
   */
  verify: { commands: string[]; after: VerifyCadence; runs: number; perRunMs: number | null; totalMs: number | null };
}

export async function planShow(opts: PlanShowOptions): Promise<{ plan: Plan; report: PlanReport; text: string }> {
  if (opts.agents !== undefined && (!Number.isInteger(opts.agents) || opts.agents < 1)) {
    throw new DaedalusError('INVALID_INPUT', `agents must be a whole number ≥ 1, got ${opts.agents}`, 'pass --agents 1 or more');
  }
  const plan = await loadPlan(opts);
  const report = planReport(plan, opts.agents ?? plan.defaults.maxAgents, opts.estimates);
  return { plan, report, text: formatPlanReport(report) };
}

export function planReport(plan: Plan, agents: number, estimateOptions: EstimateOptions = {}, verifyRunMs: number | null = null): PlanReport {
  const est = resolveEstimates(plan.packages, estimateOptions);
  const analysis = analyzeDag(plan.packages, est.ms, agents);
  const keys = dispatchKeys(plan.packages, est.ms);
  const byId = new Map(plan.packages.map((p) => [p.id, p]));
  const tasks: SimTask[] = plan.packages.map((p) => ({ id: p.id, dependsOn: p.dependsOn, durationMs: est.ms.get(p.id) ?? 0, priority: p.priority }));
  const ours = simulate(tasks, agents, 'ours', { keys });
  const waves = simulate(tasks, agents, 'waves');
  const describe = (id: string): PlanReportPackage => {
    const p = byId.get(id);
    return {
      id,
      type: p?.type ?? 'other',
      priority: p?.priority ?? 'medium',
      estimateMs: est.ms.get(id) ?? 0,
      estimateFrom: est.from.get(id) ?? 'default',
      dependsOn: p?.dependsOn ?? [],
      rank: keys.get(id)?.rank ?? 0,
    };
  };
  return {
    plan: plan.name,
    source: plan.source,
    agents,
    layers: analysis.layers.map((layer) => layer.map(describe)),
    criticalPath: analysis.criticalPath,
    totalWorkMs: analysis.totalWorkMs,
    lowerBoundMs: analysis.lowerBoundMs,
    makespan: { oursMs: ours.makespanMs, wavesMs: waves.makespanMs },
    schedule: ours.trace,
    overlaps: { policy: plan.defaults.overlap ?? 'avoid', pairs: overlappingPairs(plan.packages) },
    verify: verifyPlan(plan, verifyRunMs),
  };
}

function verifyPlan(plan: Plan, perRunMs: number | null): PlanReport['verify'] {
  const gated = plan.packages.filter((p) => (p.verify ?? plan.defaults.verify ?? []).length > 0);
  const commands = [...new Set(plan.packages.flatMap((p) => p.verify ?? plan.defaults.verify ?? []))];
  const runs = plan.defaults.integrate ? gated.length : 0;
  return { commands, after: plan.defaults.verifyAfter ?? 'merge', runs, perRunMs, totalMs: perRunMs === null ? null : perRunMs * runs };
}

/** Round to what a person reads: seconds below an hour, minutes above. */
function human(ms: number): string {
  const step = ms >= 3_600_000 ? 60_000 : ms >= 60_000 ? 1000 : 1;
  return formatDuration(Math.round(ms / step) * step);
}

export function formatPlanReport(r: PlanReport): string {
  const lines: string[] = [];
  const count = r.layers.reduce((n, l) => n + l.length, 0);
  lines.push(`plan ${r.plan}: ${count} package${count === 1 ? '' : 's'}, ${r.agents} agent${r.agents === 1 ? '' : 's'}`);
  lines.push('', 'layers (each package with its estimate; * = not from the plan):');
  r.layers.forEach((layer, i) => {
    const cells = layer.map((p) => `${p.id} ${human(p.estimateMs)}${p.estimateFrom === 'plan' ? '' : '*'}${p.priority === 'medium' ? '' : ` [${p.priority}]`}`);
    lines.push(`  ${String(i + 1).padStart(2)}  ${cells.join(', ')}`);
  });
  lines.push('');
  lines.push(`critical path  ${r.criticalPath.ids.join(' → ')} = ${human(r.criticalPath.totalMs)}`);
  lines.push(`total work     ${human(r.totalWorkMs)}`);
  lines.push(`lower bound    ${human(r.lowerBoundMs)} on ${r.agents} agent${r.agents === 1 ? '' : 's'} (max of critical path and total work / agents)`);
  const ratio = (ms: number): string => (r.lowerBoundMs > 0 ? ` (${(ms / r.lowerBoundMs).toFixed(2)}× bound)` : '');
  lines.push(`makespan       ours ${human(r.makespan.oursMs)}${ratio(r.makespan.oursMs)}, waves ${human(r.makespan.wavesMs)}${ratio(r.makespan.wavesMs)}`);
  if (r.verify.commands.length > 0) {
    const time = r.verify.perRunMs === null ? 'not measured yet' : `${human(r.verify.perRunMs)} per run, up to ${human(r.verify.totalMs ?? 0)} in all`;
    // A batch's count is the bound when every batch holds one merge and passes; batches of several
    // make fewer runs, a failed batch one more per merge in it.
    const when = r.verify.after === 'batch' ? 'after each batch of merges' : 'after each merge';
    lines.push(`verify         ${r.verify.commands.join(' && ')} ${when}: ${r.verify.runs} run(s) at most${r.verify.after === 'batch' ? ' while batches pass' : ''}, ${time}`);
  }
  if (r.overlaps.pairs.length > 0) {
    const how = r.overlaps.policy === 'allow' ? 'may run at once (overlap: allow)' : 'never run at once';
    lines.push('', `overlapping packages (${r.overlaps.pairs.length} pair(s); ${how}):`);
    for (const p of r.overlaps.pairs) lines.push(`  ${p.a} ↔ ${p.b}  (${p.globs[0]} / ${p.globs[1]})`);
  }
  lines.push('', 'our schedule:');
  const width = r.schedule.reduce((w, s) => Math.max(w, s.id.length), 2);
  for (const s of r.schedule) lines.push(`  agent ${s.agent + 1}  ${s.id.padEnd(width)}  ${human(s.startMs).padStart(7)} → ${human(s.endMs)}`);
  return lines.join('\n');
}
