import { z } from 'zod';
import { describeError } from '../../common/index.js';
import { ACTIVITY_TYPES, isCandidate, isEmpty, settle, summarise, type Activity } from '../activity.js';
import { tool, type AnyTool, type IdentifiedCall } from '../tool.js';
import { messageLine } from '../views.js';

/** Keeps a long wait alive for clients that time tool calls out, when the caller asked for progress. */
export function keepAlive(call: IdentifiedCall, totalMs: number, message = 'waiting for activity'): () => void {
  const token = call.extra._meta?.progressToken;
  if (token === undefined) return () => {};
  const started = Date.now();
  const timer = setInterval(() => {
    const elapsed = Math.round((Date.now() - started) / 1000);
    call.extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress: elapsed, total: Math.round(totalMs / 1000), message },
      })
      .catch((e: unknown) => call.ctx.log.debug(`progress notification not sent: ${describeError(e)}`));
  }, call.ctx.options.progressEveryMs);
  return () => clearInterval(timer);
}

async function waitFor(call: IdentifiedCall, timeoutMs: number): Promise<Activity & { timed_out: boolean }> {
  const { ctx, me, extra } = call;
  // Unread mail first: a waiting agent with messages in its inbox should not wait at all.
  const unread = await ctx.store.pollMessages(me.id, { limit: 50 });
  if (unread.length > 0) return { messages: unread.map(messageLine), timed_out: false };

  const deadline = Date.now() + timeoutMs;
  const stop = keepAlive(call, timeoutMs);
  try {
    for (;;) {
      const r = await ctx.store.waitForEvents(me.scope, {
        after: ctx.session.cursor,
        timeoutMs: Math.max(0, deadline - Date.now()),
        signal: extra.signal,
        types: ACTIVITY_TYPES,
        match: (e) => isCandidate(ctx, me, e),
      });
      ctx.session.cursor = Math.max(ctx.session.cursor, r.cursor);
      if (r.events.length > 0) {
        const activity = await summarise(ctx, me, await settle(ctx, me, r.events));
        if (!isEmpty(activity)) return { ...activity, timed_out: false };
      }
      if (r.timedOut || extra.signal.aborted || Date.now() >= deadline) return { timed_out: true };
    }
  } finally {
    stop();
  }
}

export const activityTools: AnyTool[] = [
  tool({
    name: 'wait_for_activity',
    description:
      'Block until something concerning you happens, then return only that: messages to you (direct, your role, broadcast), ' +
      'changes to tasks you created, hold or are assigned, instances joining or leaving, and releases of locks you were refused. ' +
      'Each call returns what changed since your previous call. Returns timed_out:true when nothing happened within timeout_seconds.',
    input: z.strictObject({
      timeout_seconds: z.number().min(0).max(3600).optional().describe('How long to wait (default 50, capped at 300); 0 only checks. Above 50, send a progressToken or make sure your client allows longer tool calls.'),
    }),
    readOnly: true,
    async run(args, call) {
      const { options } = call.ctx;
      const timeoutMs = Math.min(args.timeout_seconds === undefined ? options.waitDefaultMs : args.timeout_seconds * 1000, options.waitMaxMs);
      return waitFor(call, timeoutMs);
    },
  }),
];
