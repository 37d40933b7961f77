import { isAbsolute } from 'node:path';
import type { Store, Task } from '../bus/index.js';
import { DaedalusError } from '../common/index.js';
import { planCheck, type Plan } from '../plan/index.js';
import { createRunRecord, newRunId } from './run-record.js';
import { recordRunTasks } from './run-tasks.js';

export interface SubmitPlanInput {
  store: Store;
  scope: string;
  home: string;
  repo: string;
  /** The plan's text (with `file` naming it in messages), or a file to read. */
  text?: string;
  file: string;
  harnesses: readonly string[];
  createdBy: string;
}

/**
 * A plan an agent submits: checked exactly as `daedalus plan check` checks it (same messages),
 * recorded as a run and its tasks, for a worker to execute. What a person may put in a plan file
 * and an agent may not: copies of results outside the repository.
 */
export async function submitPlan(input: SubmitPlanInput): Promise<{ runId: string; plan: Plan; tasks: Task[] }> {
  const plan = await planCheck({ file: input.file, text: input.text, harnesses: input.harnesses });
  for (const p of plan.packages) {
    if (p.outputs.reportTo && isAbsolute(p.outputs.reportTo)) {
      throw new DaedalusError('INVALID_INPUT', `${input.file}: package ${p.id}: report_to ${p.outputs.reportTo} is outside the repository; a submitted plan may not write there`, 'give a path relative to the repository');
    }
  }
  const runId = newRunId(plan);
  await createRunRecord(input.store, input.scope, { runId, plan, repo: input.repo, maxAgents: plan.defaults.maxAgents, startedAt: Date.now(), status: 'running', supervisors: [] }, { home: input.home });
  const tasks = await recordRunTasks(input.store, input.scope, runId, plan.packages, plan.defaults, input.createdBy);
  return { runId, plan, tasks };
}
