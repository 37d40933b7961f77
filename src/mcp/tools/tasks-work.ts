import { z } from 'zod';
import type { Json } from '../../bus/index.js';
import { DaedalusError } from '../../common/index.js';
import { dropLease, heldTask, holdClaim, withLease } from '../leases.js';
import { iso } from '../result.js';
import { tool, type AnyTool } from '../tool.js';
import { taskFull, taskLine } from '../views.js';
import { asJson, jsonValue, optionalTaskId, scopedTask, taskId } from './common.js';

const LEASE_NOTE = 'the server holds the lease for you: report_progress / complete_task / fail_task act on this task; any tool call you make keeps the lease alive';

const lines = (what: string) => z.array(z.string().max(4000)).max(1000).optional().describe(what);

export const taskWorkTools: AnyTool[] = [
  tool({
    name: 'claim_next_task',
    description:
      'Claim the best ready task you may take (priority, then rank, then age) and start it. Returns the full task, or task:null when none is ready (then wait_for_activity and try again).',
    input: z.strictObject({
      types: z.array(z.string().min(1).max(40)).max(20).optional().describe('Only tasks of these types.'),
      run_id: z.string().min(1).max(200).optional().describe('Only tasks of this run.'),
    }),
    async run(args, { ctx, me }) {
      const lease = await ctx.store.claimNext({ scope: me.scope, owner: me.id, leaseMs: ctx.options.leaseMs, types: args.types, runId: args.run_id, role: me.role });
      if (!lease) return { task: null, hint: 'no ready task for you now; wait_for_activity, then try again' };
      const t = await holdClaim(ctx, lease);
      return { task: taskFull(t), note: LEASE_NOTE };
    },
  }),
  tool({
    name: 'claim_task',
    description: 'Claim one ready task by id and start it. Fails with INVALID_STATE when it is not ready (blocked, taken, finished).',
    input: z.strictObject({ task_id: taskId }),
    async run(args, { ctx, me }) {
      const t = await scopedTask(ctx, me, args.task_id);
      if (t.assignee && t.assignee !== me.id && t.assignee !== `role:${me.role}`) {
        throw new DaedalusError('FORBIDDEN', `task ${t.id} is assigned to ${t.assignee}`, 'claim_next_task finds a task you may take');
      }
      // Store.claim does not check the retry backoff (claimNext does), so a retried task would be taken at once.
      if (t.state === 'ready' && t.notBefore !== null && t.notBefore > Date.now()) {
        throw new DaedalusError('INVALID_STATE', `task ${t.id} is backing off after a failed attempt until ${iso(t.notBefore)}`, 'claim it after that, or claim_next_task for other work');
      }
      const lease = await ctx.store.claim(t.id, me.id, ctx.options.leaseMs);
      const started = await holdClaim(ctx, lease);
      return { task: taskFull(started), note: LEASE_NOTE };
    },
  }),
  tool({
    name: 'report_progress',
    description:
      'Tell others how your task is going (one short line) and renew its lease. Call it at milestones; LEASE_LOST means the task is no longer yours — stop working on it.',
    input: z.strictObject({ task_id: optionalTaskId, text: z.string().max(4000).optional().describe('One line of progress, e.g. "tests written, implementing parser".') }),
    renews: false,
    async run(args, { ctx, me }) {
      const { id, lease } = await heldTask(ctx, me, args.task_id);
      const t = await withLease(ctx, id, () => ctx.store.reportProgress(id, lease.token, ctx.options.leaseMs, args.text ?? null));
      lease.renewedAt = ctx.now();
      return { task: t.id, state: t.state, lease_until: iso(t.leaseUntil) };
    },
  }),
  tool({
    name: 'complete_task',
    description:
      'Finish your task with a structured result. Dependents become ready when it is done (or after the supervisor merges it, for integrated tasks). LEASE_LOST means it was no longer yours: stop working on it.',
    input: z.strictObject({
      task_id: optionalTaskId,
      summary: z.string().min(1).describe('What you did, in a few sentences.'),
      files_changed: lines('Paths you created, changed or deleted.'),
      tests_run: lines('Test commands you ran with their outcome, e.g. "npm test — 42 passed".'),
      follow_ups: lines('Work you found that someone should do next (a planner may turn these into tasks).'),
      data: jsonValue.optional().describe('Any further structured result (JSON).'),
    }),
    renews: false,
    async run(args, { ctx, me }) {
      const { id, lease } = await heldTask(ctx, me, args.task_id);
      const result: { [k: string]: Json } = {
        summary: args.summary,
        files_changed: args.files_changed ?? [],
        tests_run: args.tests_run ?? [],
        follow_ups: args.follow_ups ?? [],
        by: me.id,
      };
      if (args.data !== undefined) result.data = asJson(args.data);
      const t = await withLease(ctx, id, () => ctx.store.completeTask(id, lease.token, result));
      dropLease(ctx, id);
      const next = t.state === 'integrating' ? 'the supervisor merges it next; you are done with this task' : 'done; claim_next_task for more work';
      return { task: taskLine(t), next };
    },
  }),
  tool({
    name: 'fail_task',
    description:
      'Give up your task with the reason. retryable:true puts it back to ready for another attempt (after a backoff) while attempts remain; false fails it for good (and cancels its dependents unless their policy is keep).',
    input: z.strictObject({
      task_id: optionalTaskId,
      error: z.string().min(1).max(20_000).describe('What went wrong and what you tried.'),
      retryable: z.boolean().optional().describe('Could another attempt succeed? Default false.'),
      kind: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/).optional().describe('Failure kind, e.g. blocked, conflict, tests, environment.'),
    }),
    renews: false,
    async run(args, { ctx, me }) {
      const { id, lease } = await heldTask(ctx, me, args.task_id);
      const t = await withLease(ctx, id, () => ctx.store.failTask(id, lease.token, { error: args.error, retryable: args.retryable ?? false, kind: args.kind ? `agent:${args.kind}` : 'agent' }));
      dropLease(ctx, id);
      return { task: taskLine(t), will_retry: t.state === 'ready' };
    },
  }),
];
