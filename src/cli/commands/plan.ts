import { openStore, resolveScope, type HistoryEntry } from '../../bus/index.js';
import { DaedalusError, describeError, processOutput, type Output } from '../../common/index.js';
import { availableHarnesses } from '../../harness/index.js';
import { overlappingPairs, planCheck, type Plan } from '../../plan/index.js';
import { historyFallback, planShow } from '../../schedule/index.js';
import { EXIT } from '../output.js';

export interface PlanCommandOptions {
  file: string;
  json?: boolean;
  output?: Output;
  bus?: string;
}

/**
 * `daedalus plan check FILE`: one line when valid (the plan as JSON with --json), every problem
 * otherwise — with --json, the problems as JSON on stdout too, so a script never parses text.
 * Returns the exit code.
 */
export async function planCheckCommand(opts: PlanCommandOptions): Promise<number> {
  const out = opts.output ?? processOutput;
  try {
    const plan = await planCheck({ file: opts.file, harnesses: availableHarnesses() });
    out.out(opts.json ? JSON.stringify(plan, null, 2) : `${plan.source}: ok — plan ${plan.name}, ${plan.packages.length} package(s)`);
    // Overlap is allowed, so a warning and not an error: the run keeps such pairs apart unless told otherwise.
    for (const w of overlapWarnings(plan)) out.err(w);
    return EXIT.ok;
  } catch (e) {
    if (!opts.json || !(e instanceof DaedalusError) || !e.code.startsWith('PLAN_')) throw e;
    const problems = Array.isArray(e.details?.issues) ? e.details.issues : [{ message: e.message, hint: e.hint ?? null }];
    out.out(JSON.stringify({ valid: false, code: e.code, message: e.message, problems }, null, 2));
    return EXIT.usage;
  }
}

/** One line per pair of packages that can edit the same files, naming both packages' lines and globs. */
export function overlapWarnings(plan: Plan): string[] {
  const byId = new Map(plan.packages.map((p) => [p.id, p]));
  const at = (id: string) => {
    const p = byId.get(id)!;
    return `${p.source.file}:${p.source.fields['inputs.files'] ?? p.source.line}`;
  };
  const then = plan.defaults.overlap === 'allow' ? 'they may run at the same time (overlap: allow) and conflict at the merge' : 'they will not run at the same time (set overlap: allow in defaults to let them)';
  return overlappingPairs(plan.packages).map((p) => `warning: ${at(p.a)}: packages ${p.a} and ${p.b} can edit the same files (${p.globs[0]} / ${p.globs[1]}); ${then}`);
}

/** What earlier runs here took, by task type; none when there is no bus or no repository here. */
async function history(bus: string | undefined, cwd: string): Promise<HistoryEntry[]> {
  let scope: string;
  try {
    scope = resolveScope(cwd);
  } catch {
    return [];
  }
  try {
    const store = await openStore(bus, { mustExist: true });
    try {
      return await store.listHistory(scope, { limit: 500 });
    } finally {
      await store.close();
    }
  } catch (e) {
    if (e instanceof DaedalusError && e.code === 'BUS_UNAVAILABLE') return [];
    throw new DaedalusError('BUS_UNAVAILABLE', `could not read the run history: ${describeError(e)}`, 'check --bus / DAEDALUS_BUS');
  }
}

/**
 * `daedalus plan show FILE [--agents N]`: layers, critical path, bounds and simulated schedules,
 * with packages that give no estimate estimated from the history `run` would use.
 */
export async function planShowCommand(opts: PlanCommandOptions & { agents?: number; cwd?: string }): Promise<void> {
  const out = opts.output ?? processOutput;
  const past = await history(opts.bus, opts.cwd ?? process.cwd());
  const r = await planShow({ file: opts.file, agents: opts.agents, harnesses: availableHarnesses(), estimates: { fallback: historyFallback(past) } });
  out.out(opts.json ? JSON.stringify(r.report, null, 2) : r.text);
}
