import { existsSync } from 'node:fs';
import { freemem, loadavg, totalmem } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { FINAL_TASK_STATES, type Store, type Task } from '../../bus/index.js';
import { daedalusHome, DaedalusError } from '../../common/index.js';
import type { Identity, McpContext } from '../context.js';
import { tool, type AnyTool } from '../tool.js';
import { taskFull, taskLine } from '../views.js';
import { keepAlive } from './activity.js';

/*
 * The supervisor's tools for a planner agent: put work on the bus as a run (spawn_parallel_tasks,
 * submit_plan), watch it (get_task_stats) and collect it (wait_for_tasks). A worker executes it;
 * if none is alive for the scope, the first spawn starts one in the background. Plans and records
 * load only when called: they are not needed for an agent's first turn.
 */

const STRATEGY = z.enum(['auto', 'parallel', 'sequential', 'adaptive']);

/** A scope a run can belong to: a git repository on this machine (workers make worktrees of it). */
function repoOf(me: Identity): string {
  if (!isAbsolute(me.scope) || !existsSync(me.scope)) {
    throw new DaedalusError('INVALID_STATE', `scope ${me.scope} is not a repository on this machine`, 'start the planner inside the git repository the tasks are for');
  }
  return me.scope;
}

const homeOf = (ctx: McpContext) => ctx.home ?? daedalusHome(ctx.env);

/** A worker for the scope, started in the background when none is alive: a planner never waits on a person to start one. */
async function ensureExecutor(ctx: McpContext, me: Identity): Promise<{ started: boolean; id?: string; pid?: number | null; log?: string }> {
  const { liveExecutors } = await import('../../records/index.js');
  const live = await liveExecutors(ctx.store, me.scope);
  if (live.length > 0) return { started: false, id: live[0]!.id, pid: live[0]!.pid };
  const { startDetachedWorker } = await import('../../harness/index.js');
  // --singleton: two planners spawning at the same instant start one worker between them.
  const w = startDetachedWorker({ home: homeOf(ctx), cwd: repoOf(me), bus: ctx.busArg, args: ['--singleton'], env: ctx.env });
  ctx.log.info(`started a worker for ${me.scope}: pid ${w.pid}, log ${w.log}`);
  return { started: true, pid: w.pid, log: w.log };
}

async function harnessNames(): Promise<string[]> {
  return (await import('../../harness/index.js')).availableHarnesses();
}

const taskInput = z
  .looseObject({
    description: z.string().min(1).max(64 * 1024).describe('What to do: goal, files, acceptance criteria. Required.'),
    type: z.string().max(40).optional().describe('implementation | refactor | test | research | review | fix | other.'),
    priority: z.string().max(20).optional().describe('critical | high | medium | low.'),
    depends_on: z.array(z.string().min(1).max(200)).max(100).optional().describe('"$1", "$2" … name earlier tasks of this call; or ids of tasks you spawned before.'),
  })
  .describe('A task with every field a plan package has (id, harness, run, inputs, outputs, constraints, permissions, timeout, max_attempts, env, …), validated the same way.');

async function waitUntilFinal(ctx: McpContext, me: Identity, ids: string[] | null, runId: string | null, timeoutMs: number, signal: AbortSignal): Promise<{ tasks: Task[]; timedOut: boolean }> {
  const deadline = Date.now() + timeoutMs;
  const read = async () => (ids ? (await Promise.all(ids.map((id) => ctx.store.getTask(id)))).filter((t): t is Task => t !== null && t.scope === me.scope) : await ctx.store.listTasks(me.scope, { runId: runId!, limit: 10_000 }));
  let cursor = (await ctx.store.readEvents(me.scope, { after: 0, limit: 1, newest: true }))[0]?.id ?? 0;
  for (;;) {
    const tasks = await read();
    const open = tasks.filter((t) => !FINAL_TASK_STATES.includes(t.state));
    if (open.length === 0 || Date.now() >= deadline || signal.aborted) return { tasks, timedOut: open.length > 0 };
    // Wakes on any change to the tasks waited for; a final state is written with its event.
    const r = await ctx.store.waitForEvents(me.scope, { after: cursor, types: ['task.'], ...(ids ? { taskIds: open.map((t) => t.id) } : { runId: runId! }), timeoutMs: deadline - Date.now(), signal, limit: 200 });
    cursor = r.cursor;
  }
}

async function runStats(store: Store, me: Identity, runId: string | null) {
  const now = Date.now();
  const held = await store.listTasks(me.scope, { runId: runId ?? undefined, states: ['leased', 'running', 'integrating'], limit: 500 });
  const counts = await store.countTasks(me.scope, runId ?? undefined);
  const { liveExecutors } = await import('../../records/index.js');
  const executors = await liveExecutors(store, me.scope);
  const gate = (await store.readEvents(me.scope, { after: 0, types: ['run.decision'], runId: runId ?? undefined, limit: 50, newest: true }))
    .reverse()
    .find((e) => String((e.data as { kind?: unknown }).kind ?? '').startsWith('gate.'));
  const run = runId ? await store.getRun(me.scope, runId) : null;
  const base = run && typeof run.plan === 'object' && run.plan && !Array.isArray(run.plan) ? ((run.plan.defaults as { base?: string } | undefined)?.base ?? null) : null;
  return {
    run: runId ? { id: runId, status: run?.status ?? null, integration_branch: `daedalus/${runId}/integration`, base } : null,
    running: held.map((t) => ({
      task_id: t.id,
      title: t.title,
      state: t.state,
      agent: t.leaseOwner,
      elapsed_s: Math.round((now - (t.startedAt ?? t.updatedAt)) / 1000),
      last_progress: t.progress ?? null,
    })),
    queued: { ready: counts.ready, blocked: counts.blocked },
    finished: { done: counts.done, failed: counts.failed, cancelled: counts.cancelled },
    executors: executors.map((e) => ({ id: e.id, pid: e.pid, host: e.host, status: e.status, agents: (e.meta as { agents?: number } | null)?.agents ?? null })),
    resources: {
      zone: gate ? String((gate.data as { kind: string }).kind).slice('gate.'.length) : null,
      reason: gate ? ((gate.data as { reason?: string }).reason ?? null) : null,
      load_1m: Math.round(loadavg()[0]! * 100) / 100,
      memory_used_pct: Math.round((1 - freemem() / totalmem()) * 100),
    },
  };
}

export const plannerTools: AnyTool[] = [
  tool({
    name: 'spawn_parallel_tasks',
    description:
      'Planners: hand work to parallel workers. Each task runs in its own git worktree and branch; finished work is merged into your run\'s integration branch (daedalus/planner-<you>/integration) in dependency order. depends_on "$N" names the N-th task of this call. Returns the run id and task ids; then call wait_for_tasks to collect the results. A worker is started in the background if none is running.',
    input: z.strictObject({
      tasks: z.array(taskInput).min(1).max(100).describe('The tasks, in order; $1 is the first.'),
      branch_id: z.string().min(1).max(200).optional().describe('The branch the run starts from (first call only; default: the branch checked out).'),
      strategy: STRATEGY.optional().describe('auto | parallel | sequential | adaptive (first call only; default auto).'),
      harness: z.string().max(40).optional().describe('Harness for tasks that name none (default claude).'),
    }),
    async run(args, { ctx, me }) {
      const { spawnTasks } = await import('../../records/index.js');
      const r = await spawnTasks({
        store: ctx.store,
        scope: me.scope,
        home: homeOf(ctx),
        repo: repoOf(me),
        planner: { id: me.id, name: me.label.match(/(?:^|\s)name:(\S+)/)?.[1] ?? null },
        tasks: args.tasks,
        branch: args.branch_id,
        strategy: args.strategy,
        harness: args.harness,
        harnesses: await harnessNames(),
      });
      for (const t of r.tasks) ctx.session.taskRelevance.set(t.id, true);
      const executor = await ensureExecutor(ctx, me);
      return { run_id: r.runId, task_ids: r.tasks.map((t) => t.id), tasks: r.tasks.map(taskLine), executor };
    },
  }),
  tool({
    name: 'submit_plan',
    description:
      'Planners: start a run from a whole plan (the YAML of `daedalus plan check`), given as text or as a path in the repository. Checked exactly like `daedalus plan check` (same errors). Returns the run id and its task ids.',
    input: z.strictObject({
      yaml: z.string().min(1).max(4 * 1024 * 1024).optional().describe('The plan as YAML text.'),
      path: z.string().min(1).max(4096).optional().describe('A plan file, package file or directory, relative to the repository.'),
    }),
    async run(args, { ctx, me }) {
      if ((args.yaml === undefined) === (args.path === undefined)) throw new DaedalusError('INVALID_INPUT', 'give exactly one of yaml and path', 'submit_plan { yaml: "plan: …" } or { path: "plans/x.yaml" }');
      const repo = repoOf(me);
      const { submitPlan } = await import('../../records/index.js');
      const r = await submitPlan({
        store: ctx.store,
        scope: me.scope,
        home: homeOf(ctx),
        repo,
        file: args.path ? resolve(ctx.fileRoot, args.path) : 'submitted plan',
        text: args.yaml,
        harnesses: await harnessNames(),
        createdBy: me.id,
      });
      for (const t of r.tasks) ctx.session.taskRelevance.set(t.id, true);
      const executor = await ensureExecutor(ctx, me);
      return { run_id: r.runId, plan: r.plan.name, task_ids: r.tasks.map((t) => t.id), executor };
    },
  }),
  tool({
    name: 'get_task_stats',
    description:
      'Planners: what the swarm is doing — running agents (task, elapsed, last progress), queued and finished counts, the executors, the resource zone, and the run\'s branches. Default: your own run (the one spawn_parallel_tasks made), else the whole scope.',
    input: z.strictObject({ run_id: z.string().min(1).max(200).optional() }),
    readOnly: true,
    async run(args, { ctx, me }) {
      const { plannerRunId } = await import('../../records/index.js');
      const own = plannerRunId({ id: me.id, name: me.label.match(/(?:^|\s)name:(\S+)/)?.[1] ?? null });
      const runId = args.run_id ?? ((await ctx.store.getRun(me.scope, own)) ? own : null);
      return runStats(ctx.store, me, runId);
    },
  }),
  tool({
    name: 'wait_for_tasks',
    description:
      'Wait until the given tasks (or every task of a run) are final — done, failed or cancelled — and return them with their structured results. On timeout returns what is finished so far and timed_out: true; call again to keep waiting.',
    input: z.strictObject({
      task_ids: z.array(z.string().min(1).max(200)).min(1).max(500).optional(),
      run_id: z.string().min(1).max(200).optional(),
      timeout_seconds: z.number().min(0).max(3600).optional().describe('Default 50, capped at 300. Above 50, send a progressToken or make sure your client allows longer tool calls.'),
    }),
    readOnly: true,
    renews: false,
    async run(args, call) {
      const { ctx, me, extra } = call;
      if ((args.task_ids === undefined) === (args.run_id === undefined)) throw new DaedalusError('INVALID_INPUT', 'give exactly one of task_ids and run_id', 'wait_for_tasks { run_id: "planner-…" }');
      const timeoutMs = Math.min(args.timeout_seconds === undefined ? ctx.options.waitDefaultMs : args.timeout_seconds * 1000, ctx.options.waitMaxMs);
      if (args.task_ids) {
        for (const id of args.task_ids) {
          const t = await ctx.store.getTask(id);
          if (!t || t.scope !== me.scope) throw new DaedalusError('NOT_FOUND', `no task ${id} in this scope`, 'use the task ids spawn_parallel_tasks returned');
        }
      }
      const stop = keepAlive(call, timeoutMs, 'waiting for tasks');
      try {
        const r = await waitUntilFinal(ctx, me, args.task_ids ?? null, args.run_id ?? null, timeoutMs, extra.signal);
        const finished = r.tasks.filter((t) => FINAL_TASK_STATES.includes(t.state));
        return {
          timed_out: r.timedOut,
          done: finished.filter((t) => t.state === 'done').length,
          failed: finished.filter((t) => t.state !== 'done').length,
          tasks: finished.map(taskFull),
          pending: r.tasks.filter((t) => !FINAL_TASK_STATES.includes(t.state)).map(taskLine),
        };
      } finally {
        stop();
      }
    },
  }),
];
