import { formatDuration } from '../common/index.js';
import type { SoakMetrics } from './metrics.js';

const pct = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);
const ms = (v: number | null) => (v === null ? '-' : formatDuration(v, { approx: 2 }));
const num = (v: number | null, digits = 2) => (v === null ? '-' : v.toFixed(digits));

/** The metrics as lines for people (`daedalus stats`). */
export function formatMetrics(m: SoakMetrics): string {
  const w = m.window;
  const lines = [
    `soak metrics${w.runId ? ` of run ${w.runId}` : ''}${w.since ? ` since ${new Date(w.since).toISOString()}` : ''} (${w.events} events)`,
    '',
    `adoption failures    ${pct(m.adoption.failureRate)}  (${m.adoption.failed} of ${m.adoption.adopted + m.adoption.failed} spawned agents never adopted their reservation${m.adoption.pending ? `; ${m.adoption.pending} still starting` : ''})`,
    `spawn → terminal     median ${ms(m.spawnToTerminal.medianMs)} · p90 ${ms(m.spawnToTerminal.p90Ms)}  (${m.spawnToTerminal.attempts} attempts)`,
    `error classes        ${m.errorClasses.length === 0 ? 'none' : m.errorClasses.map((c) => `${c.kind} ${c.count}`).join(' · ')}`,
    `cost drift           ${m.costDrift.tasks === 0 ? '- (no task reported both cost and tokens)' : `reported $${m.costDrift.reportedUsd.toFixed(4)} vs tokens × price $${m.costDrift.expectedUsd.toFixed(4)}: ${m.costDrift.driftUsd >= 0 ? '+' : ''}$${m.costDrift.driftUsd.toFixed(4)} (${num(m.costDrift.driftPercent, 1)}%) over ${m.costDrift.tasks} tasks`}`,
    `retries per task     ${num(m.retries.perTask)}  (${m.retries.retries} retries over ${m.retries.tasks} tasks; most ${m.retries.max})`,
    `merge conflicts      ${pct(m.mergeConflicts.rate)}  (${m.mergeConflicts.conflicts} of ${m.mergeConflicts.integrations} integrations)`,
    `planner              ${m.planner.planners === 0 ? 'no planner agents' : `${m.planner.followUps} follow-up messages vs ${m.planner.freshWorkers} fresh workers (${pct(m.planner.followUpShare)} follow-ups); fan-out per spawn ${num(m.planner.fanOutMean, 1)} (max ${m.planner.fanOutMax}) over ${m.planner.spawns} spawns`}`,
  ];
  return lines.join('\n');
}
