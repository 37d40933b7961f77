import { formatDuration } from '../../common/index.js';
import { summariseLearnings, type TypeKnowledge } from '../../schedule/index.js';
import { table } from '../table.js';
import { printJson, withBus, type BusCommandOptions } from '../with-bus.js';

const mib = (b: number | null) => (b === null ? '-' : `${Math.round(b / 2 ** 20)} MiB`);
const num = (x: number | null, digits = 2) => (x === null ? '-' : x.toFixed(digits));

function row(k: TypeKnowledge): (string | number)[] {
  const levels = Object.entries(k.byConcurrency).map(([lv, ms]) => `${lv}:${formatDuration(Math.round(ms))}`).join(' ') || '-';
  return [
    k.type,
    k.runs,
    k.plannerNotes,
    k.successRate === null ? '-' : `${Math.round(k.successRate * 100)}%`,
    k.durationMs === null ? '-' : formatDuration(Math.round(k.durationMs)),
    num(k.cpuCores),
    mib(k.peakRssBytes),
    num(k.parallelBenefit),
    k.bestConcurrency === null ? '-' : String(k.bestConcurrency),
    levels,
  ];
}

/** `daedalus learn show [--type T] [--json]`: what the learner knows per task type, and from how many runs. */
export async function learnShowCommand(opts: BusCommandOptions & { type?: string }): Promise<void> {
  return withBus(opts, async (store, scope, out) => {
    const entries = await store.listLearnings(scope, { ...(opts.type ? { type: opts.type } : {}), limit: 5000 });
    const knowledge = [...summariseLearnings(entries).values()].sort((a, b) => a.type.localeCompare(b.type));
    if (opts.json) return printJson(out, { types: knowledge, entries });
    if (knowledge.length === 0) {
      out.out(opts.type ? `nothing learned about ${opts.type} yet` : 'nothing learned yet: runs teach the learner when they finish');
      return;
    }
    out.out(table(['TYPE', 'RUNS', 'NOTES', 'SUCCESS', 'DURATION', 'CPU', 'PEAK MEM', 'PAR.BENEFIT', 'BEST N', 'DURATION BY N AT ONCE'], knowledge.map(row)));
    for (const k of knowledge) for (const n of k.notes) out.out(`${k.type}: planner note: ${n}`);
  });
}

/** `daedalus learn reset [--type T]`: forgets what was learned. */
export async function learnResetCommand(opts: BusCommandOptions & { type?: string }): Promise<void> {
  return withBus(opts, async (store, scope, out) => {
    const n = await store.resetLearnings(scope, opts.type ? { type: opts.type } : {});
    if (opts.json) return printJson(out, { removed: n });
    out.out(`forgot ${n} learning(s)${opts.type ? ` about ${opts.type}` : ''}`);
  });
}
