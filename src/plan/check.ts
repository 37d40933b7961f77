import type { LoadPlanOptions } from './load.js';
import { loadPlan } from './load.js';
import type { Plan } from './types.js';

export type PlanCheckOptions = LoadPlanOptions;

/** `daedalus plan check`: the validated plan, or a PLAN_INVALID / PLAN_CYCLE DaedalusError. */
export async function planCheck(opts: PlanCheckOptions): Promise<Plan> {
  return loadPlan(opts);
}
