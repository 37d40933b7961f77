import { isAbsolute } from 'node:path';
import { stringify } from 'yaml';
import { planPolicies } from '../approvals/index.js';
import { toPlainJson, type Json, type RunEntry, type Store, type Task } from '../bus/index.js';
import { DaedalusError, isDaedalusError, type Problem } from '../common/index.js';
import { loadPlan, type Package, type Plan, type PlanDefaults, type Strategy } from '../plan/index.js';
import { runDigest } from './digest.js';
import { createRunRecord } from './run-record.js';
import { recordRunTasks } from './run-tasks.js';

/** One task as a planner gives it: every field a plan package has, in the plan's own spelling. */
export type TaskSpec = Record<string, unknown> & { description?: unknown; depends_on?: unknown; id?: unknown };

export interface SpawnInput {
  store: Store;
  scope: string;
  home: string;
  /** The scope root: the run's repository. */
  repo: string;
  /** The instance spawning (its run is named after it) and a name for it, if it has one. */
  planner: { id: string; name: string | null };
  tasks: TaskSpec[];
  /** What the run starts from (a new run only): a branch, default the one checked out. */
  branch?: string;
  strategy?: Strategy;
  /** Harness for tasks that name none (default: claude). */
  harness?: string;
  harnesses: readonly string[];
}

export interface SpawnResult {
  runId: string;
  tasks: Task[];
  /** True when this call created the planner's run. */
  created: boolean;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);

/**
 * The run a planner's tasks belong to: one per planner (its name, else its instance id), so all
 * its tasks share one integration branch and each dependent starts from its inputs' merged work.
 */
export const plannerRunId = (planner: { id: string; name: string | null }) => `planner-${slug(planner.name ?? planner.id) || 'agent'}`;

/**
 * Validates one task exactly as `plan check` validates a package (same fields, same messages),
 * alone, with the run's defaults; its dependencies are checked against the run afterwards.
 */
async function validate(spec: TaskSpec, index: number, id: string, defaults: Record<string, Json>, harnesses: readonly string[]): Promise<Package> {
  const { depends_on: _deps, ...rest } = spec;
  const text = stringify({ plan: 'spawn', defaults, packages: [{ id, ...rest }] });
  try {
    const plan = await loadPlan({ file: `tasks[${index + 1}]`, text, harnesses });
    const pkg = plan.packages[0]!;
    // A copy of the result outside the repository is a person's choice in a plan file; from an
    // agent it would be a write anywhere the worker may write.
    if (pkg.outputs.reportTo && isAbsolute(pkg.outputs.reportTo)) {
      throw new DaedalusError('INVALID_INPUT', `tasks[${index + 1}].outputs.report_to: an agent's task may not write outside the repository (${pkg.outputs.reportTo})`, 'give a path relative to the repository; results are also at .daedalus/results/RUN/ID.json');
    }
    return pkg;
  } catch (e) {
    if (!isDaedalusError(e) || !e.code.startsWith('PLAN_')) throw e;
    const issues = (Array.isArray(e.details?.issues) ? e.details.issues : []) as { field: string; message: string; hint: string }[];
    const problems: Problem[] = issues.map((i) => ({ text: `tasks[${index + 1}]${i.field ? `.${i.field}` : ''}: ${i.message}`, hint: i.hint }));
    const first = problems[0];
    throw new DaedalusError('INVALID_INPUT', first?.text ?? e.message, first?.hint ?? e.hint, { problems });
  }
}

/** `$N` (the N-th task of this call, earlier ones only), a package id of the run, or its task id. */
function resolveDeps(spec: TaskSpec, index: number, runId: string, batch: Package[], known: Set<string>): string[] {
  const raw = spec.depends_on;
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.some((d) => typeof d !== 'string')) {
    throw new DaedalusError('INVALID_INPUT', `tasks[${index + 1}].depends_on must be a list of task ids or $N references`, 'e.g. depends_on: ["$1", "$2"]');
  }
  return (raw as string[]).map((d) => {
    const ref = /^\$(\d+)$/.exec(d);
    if (ref) {
      const n = Number(ref[1]);
      if (n < 1 || n > index) {
        throw new DaedalusError('INVALID_INPUT', `tasks[${index + 1}].depends_on: ${d} does not name an earlier task of this call`, `use $1 … $${index} for the tasks before it`);
      }
      return batch[n - 1]!.id;
    }
    const pkg = d.startsWith(`${runId}:`) ? d.slice(runId.length + 1) : d;
    if (!known.has(pkg)) {
      throw new DaedalusError(
        'UNKNOWN_DEPENDENCY',
        `tasks[${index + 1}].depends_on: no task ${d} in run ${runId}`,
        'depend on tasks this planner spawned (their ids), or on earlier tasks of the same call ($N)',
      );
    }
    return pkg;
  });
}

/**
 * A planner's tasks become packages of its run — created on the first call, extended afterwards —
 * and then tasks on the bus, validated and ranked like any plan's. The run's record (plan,
 * permission policies, digest) grows with them, so a permission request is still judged by what
 * the planner asked for, never by what an agent wrote later.
 */
export async function spawnTasks(input: SpawnInput): Promise<SpawnResult> {
  if (input.tasks.length === 0) throw new DaedalusError('INVALID_INPUT', 'no tasks to spawn', 'give at least one task: { description, … }');
  const runId = plannerRunId(input.planner);
  for (let tries = 0; ; tries++) {
    const existing = await input.store.getRun(input.scope, runId);
    const basePlan = existing ? (existing.plan as unknown as Plan) : null;
    const runDefaults: Record<string, Json> = {
      harness: input.harness ?? 'claude',
      ...(input.strategy ? { strategy: input.strategy } : {}),
      ...(input.branch ? { base: input.branch } : {}),
    };
    const known = new Set((basePlan?.packages ?? []).map((p) => p.id));
    const batch: Package[] = [];
    for (const [i, spec] of input.tasks.entries()) {
      // Tasks a planner does not name are t1, t2, … in the order the run got them.
      const pkg = await validate(spec, i, `t${known.size + batch.length + 1}`, runDefaults, input.harnesses);
      const id = pkg.id;
      if (known.has(id) || batch.some((b) => b.id === id)) {
        throw new DaedalusError('INVALID_INPUT', `tasks[${i + 1}].id: run ${runId} has a task ${id} already`, 'give each task an id of its own, or leave id out');
      }
      batch.push({ ...pkg, id, dependsOn: [] });
      batch[batch.length - 1]!.dependsOn = resolveDeps(spec, i, runId, batch, known);
    }
    const defaultsOf = basePlan?.defaults ?? (await validatedDefaults(runDefaults, input.harnesses));
    const plan: Plan = {
      name: runId,
      source: `planner ${input.planner.id}`,
      kind: 'planner',
      defaults: defaultsOf,
      packages: [...(basePlan?.packages ?? []), ...batch],
    };
    try {
      if (!existing) {
        await createRunRecord(input.store, input.scope, { runId, plan, repo: input.repo, maxAgents: plan.defaults.maxAgents, startedAt: Date.now(), status: 'running', supervisors: [] }, { home: input.home });
      } else {
        await extend(input, existing, plan);
      }
    } catch (e) {
      // Another call of the same planner got in first: read the run again and redo this batch on top.
      if (tries < 5 && (isDaedalusError(e, 'VERSION_CONFLICT') || (isDaedalusError(e, 'INVALID_STATE') && !existing))) continue;
      throw e;
    }
    const tasks = await recordRunTasks(input.store, input.scope, runId, batch, plan.defaults, input.planner.id, plan.packages);
    return { runId, tasks, created: !existing };
  }
}

async function validatedDefaults(defaults: Record<string, Json>, harnesses: readonly string[]): Promise<PlanDefaults> {
  const text = stringify({ plan: 'spawn', defaults, packages: [{ id: 'x', description: 'x' }] });
  return (await loadPlan({ file: 'defaults', text, harnesses })).defaults;
}

async function extend(input: SpawnInput, run: RunEntry, plan: Plan): Promise<void> {
  const planJson = toPlainJson(plan);
  const policies = toPlainJson(planPolicies(plan));
  const digest = runDigest(input.home, { scope: input.scope, runId: run.id, repo: run.repo, plan: planJson, policies });
  await input.store.extendRun(input.scope, run.id, { plan: planJson, policies, digest, expectedDigest: run.digest });
}

