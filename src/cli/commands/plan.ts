import { processOutput, type Output } from '../../common/index.js';
import { availableHarnesses } from '../../harness/index.js';
import { planCheck } from '../../plan/index.js';
import { planShow } from '../../schedule/index.js';

export interface PlanCommandOptions {
  file: string;
  json?: boolean;
  output?: Output;
}

/** `daedalus plan check FILE`: one line when valid (the plan as JSON with --json), every problem otherwise. */
export async function planCheckCommand(opts: PlanCommandOptions): Promise<void> {
  const out = opts.output ?? processOutput;
  const plan = await planCheck({ file: opts.file, harnesses: availableHarnesses() });
  out.out(opts.json ? JSON.stringify(plan, null, 2) : `${plan.source}: ok — plan ${plan.name}, ${plan.packages.length} package(s)`);
}

/** `daedalus plan show FILE [--agents N]`: layers, critical path, bounds and simulated schedules. */
export async function planShowCommand(opts: PlanCommandOptions & { agents?: number }): Promise<void> {
  const out = opts.output ?? processOutput;
  const r = await planShow({ file: opts.file, agents: opts.agents, harnesses: availableHarnesses() });
  out.out(opts.json ? JSON.stringify(r.report, null, 2) : r.text);
}
