import { z } from 'zod';
import { OPEN_TASK_STATES, PRIORITIES, TASK_STATES, TASK_TYPES, type Task, type TaskInput, type TaskState } from '../../bus/index.js';
import { DaedalusError } from '../../common/index.js';
import type { Identity, McpContext } from '../context.js';
import { dropLease } from '../leases.js';
import { access } from '../policy.js';
import { tool, type AnyTool } from '../tool.js';
import { taskFull, taskLine } from '../views.js';
import { asJson, jsonValue, scopedTask, taskId } from './common.js';


const taskSpec = z.strictObject({
  title: z.string().min(1).max(300).describe('Short imperative title.'),
  description: z.string().optional().describe('Everything a worker needs: goal, files, acceptance criteria.'),
  type: z.enum(TASK_TYPES).optional().describe('Default other.'),
  priority: z.enum(PRIORITIES).optional().describe('critical | high | medium | low (default medium).'),
  depends_on: z.array(z.string().min(1).max(200)).max(100).optional().describe('Task ids that must be done first; in a batch, $1, $2 … name the batch\'s own tasks (from 1).'),
  assignee: z.string().min(1).max(200).optional().describe('Only this instance id or role:NAME may claim it.'),
  key: z.string().max(200).optional().describe('A human name for the task, e.g. a package id.'),
  payload: jsonValue.optional().describe('Structured input for the worker (JSON).'),
  idempotency_key: z.string().max(200).optional().describe('Retrying with the same key returns the task created the first time.'),
  max_attempts: z.number().int().min(1).max(10).optional().describe('Default 3.'),
  integrate: z.boolean().optional().describe('True: a completed task waits in integrating until the supervisor merges it.'),
  dependents_policy: z.enum(['cancel', 'keep']).optional().describe('What happens to dependents if this fails for good (default cancel).'),
  estimate_minutes: z.number().positive().max(100_000).optional(),
  run_id: z.string().min(1).max(200).optional(),
});
type TaskSpec = z.output<typeof taskSpec>;

async function checkAssignee(ctx: McpContext, me: Identity, assignee: string | undefined): Promise<void> {
  if (assignee === undefined || /^role:[a-z][a-z0-9_-]{0,31}$/.test(assignee)) return;
  const inst = await ctx.store.getInstance(assignee);
  if (!inst || inst.scope !== me.scope) throw new DaedalusError('NOT_FOUND', `assignee ${assignee} is no instance of this scope`, 'assign to an instance id from list_instances, or to role:NAME');
}

function toInput(ctx: McpContext, s: TaskSpec): TaskInput {
  return {
    title: s.title,
    description: s.description,
    type: s.type,
    priority: s.priority as TaskInput['priority'],
    dependsOn: s.depends_on,
    assignee: s.assignee ?? null,
    key: s.key ?? null,
    payload: asJson(s.payload),
    idempotencyKey: s.idempotency_key ?? null,
    maxAttempts: s.max_attempts,
    integrate: s.integrate,
    dependentsPolicy: s.dependents_policy,
    estimateMs: s.estimate_minutes === undefined ? null : Math.round(s.estimate_minutes * 60_000),
    runId: s.run_id ?? ctx.runId,
  };
}

/** The creator hears about its tasks' later changes, not about their creation. */
function remember(ctx: McpContext, tasks: Task[]): void {
  for (const t of tasks) {
    ctx.session.taskRelevance.set(t.id, true);
    if (t.state === 'ready') ctx.session.createdReady.add(t.id);
  }
}

export const taskPlanTools: AnyTool[] = [
  tool({
    name: 'request_task',
    description:
      'Create one task on the bus (planners). It is ready at once unless depends_on names unfinished tasks. Returns the task with its id. For several related tasks use request_task_batch.',
    input: taskSpec,
    async run(args, { ctx, me }) {
      await checkAssignee(ctx, me, args.assignee);
      const t = await ctx.store.createTask(me.scope, toInput(ctx, args), me.id);
      remember(ctx, [t]);
      return { task: taskLine(t) };
    },
  }),
  tool({
    name: 'request_task_batch',
    description:
      'Create several tasks at once, all or nothing (planners). In depends_on, "$N" refers to the N-th task of this batch (counting from 1), so a batch can carry its own dependency graph. Returns the tasks in order.',
    input: z.strictObject({ tasks: z.array(taskSpec).min(1).max(100).describe('The tasks, in order; $1 is the first.') }),
    async run(args, { ctx, me }) {
      for (const s of args.tasks) await checkAssignee(ctx, me, s.assignee);
      const created = await ctx.store.createTasks(
        me.scope,
        args.tasks.map((s) => toInput(ctx, s)),
        me.id,
      );
      remember(ctx, created);
      return { tasks: created.map(taskLine) };
    },
  }),
  tool({
    name: 'cancel_task',
    description:
      'Cancel an unfinished task; its dependents are cancelled too unless it was created with dependents_policy keep. Planners may cancel any task; workers only a task they hold (to give it up, prefer fail_task).',
    input: z.strictObject({ task_id: taskId, reason: z.string().max(2000).optional().describe('Why; others see it.') }),
    renews: false,
    async run(args, { ctx, me }) {
      const t = await scopedTask(ctx, me, args.task_id);
      if (access(me.role, 'cancel_task') === 'own' && !(ctx.session.leases.has(t.id) && t.leaseOwner === me.id)) {
        throw new DaedalusError('FORBIDDEN', `task ${t.id} is not yours to cancel (it is ${t.state}${t.leaseOwner ? `, held by ${t.leaseOwner}` : ''})`, 'workers cancel only tasks they hold; ask a planner with send_message to role:planner');
      }
      const done = await ctx.store.cancelTask(t.id, { by: me.id, reason: args.reason ?? null });
      dropLease(ctx, t.id);
      return { task: taskLine(done) };
    },
  }),
  tool({
    name: 'get_task',
    description: 'One task in full: description, payload, state, owner, progress, result or error, dependencies.',
    input: z.strictObject({ task_id: taskId }),
    readOnly: true,
    async run(args, { ctx, me }) {
      const t = await scopedTask(ctx, me, args.task_id);
      return { task: taskFull(t), yours: ctx.session.leases.has(t.id) };
    },
  }),
  tool({
    name: 'list_tasks',
    description:
      'Tasks of this scope, one compact line each, oldest first. Default: unfinished tasks only (blocked, ready, leased, running, integrating). Use get_task for one task in full.',
    input: z.strictObject({
      states: z.array(z.enum(TASK_STATES as [TaskState, ...TaskState[]])).max(8).optional().describe('Only these states.'),
      mine: z.boolean().optional().describe('Only tasks you hold.'),
      created_by_me: z.boolean().optional().describe('Only tasks you created.'),
      type: z.enum(TASK_TYPES).optional(),
      run_id: z.string().min(1).max(200).optional(),
      limit: z.number().int().min(1).max(500).optional().describe('At most this many (default 50).'),
    }),
    readOnly: true,
    async run(args, { ctx, me }) {
      const limit = args.limit ?? 50;
      // created_by has no store filter: read wider, filter here.
      const read = args.created_by_me ? 5000 : limit + 1;
      const rows = await ctx.store.listTasks(me.scope, {
        states: args.states ?? [...OPEN_TASK_STATES],
        leaseOwner: args.mine ? me.id : undefined,
        type: args.type,
        runId: args.run_id,
        limit: read,
      });
      const list = args.created_by_me ? rows.filter((t) => t.createdBy === me.id) : rows;
      return { tasks: list.slice(0, limit).map(taskLine), truncated: list.length > limit };
    },
  }),
];
