import { z } from 'zod';
import { DaedalusError } from '../../common/index.js';
import type { Identity, McpContext } from '../context.js';
import { tool, type AnyTool } from '../tool.js';
import { messageLine } from '../views.js';
import { asJson, jsonValue, scopedTask, taskId } from './common.js';

const body = z.string().min(1).describe('The message text.');
const kind = z
  .string()
  .regex(/^[a-z][a-z0-9._-]{0,39}$/, 'kind is a short lower-case word like question, answer, status')
  .optional()
  .describe('Short kind such as question, answer, status, review (default text).');

/** A direct recipient must be a live instance of this scope; roles and `*` are always fine. */
async function checkRecipient(ctx: McpContext, me: Identity, to: string): Promise<void> {
  if (to === '*' || /^role:[a-z][a-z0-9_-]{0,31}$/.test(to)) return;
  if (to.startsWith('role:')) throw new DaedalusError('INVALID_INPUT', `"${to}" is not a valid role address`, 'use role:NAME with a lower-case role, e.g. role:planner');
  if (to === me.id) throw new DaedalusError('INVALID_INPUT', 'you cannot send a message to yourself', 'send to another instance id, role:NAME or *');
  const inst = await ctx.store.getInstance(to);
  if (!inst || inst.scope !== me.scope) throw new DaedalusError('NOT_FOUND', `no instance ${to} in this scope`, 'list_instances shows who is here; or send to role:NAME');
  if (inst.status === 'gone') throw new DaedalusError('NOT_FOUND', `instance ${to} has left the bus`, 'send to role:NAME so whoever has that role now gets it');
}

export const messageTools: AnyTool[] = [
  tool({
    name: 'send_message',
    description:
      'Send a message to one instance (its id), to every instance of a role ("role:planner") or to everyone ("*"). ' +
      'Messages are kept; each reader has its own cursor. Use it to ask, answer, or hand over information.',
    input: z.strictObject({
      to: z.string().min(1).max(200).describe('Instance id, role:NAME, or * for everyone.'),
      body,
      kind,
      task_id: taskId.optional().describe('The task this message is about, if any.'),
      data: jsonValue.optional().describe('Optional structured JSON payload.'),
    }),
    async run(args, { ctx, me }) {
      await checkRecipient(ctx, me, args.to);
      if (args.task_id) await scopedTask(ctx, me, args.task_id);
      const m = await ctx.store.sendMessage({ scope: me.scope, from: me.id, to: args.to, body: args.body, kind: args.kind, taskId: args.task_id ?? null, data: asJson(args.data) });
      return { sent: m.id, to: m.to };
    },
  }),
  tool({
    name: 'broadcast',
    description: 'Send a message to every instance of this scope (same as send_message to "*"). Use sparingly: everyone reads it.',
    input: z.strictObject({ body, kind, data: jsonValue.optional().describe('Optional structured JSON payload.') }),
    async run(args, { ctx, me }) {
      const m = await ctx.store.sendMessage({ scope: me.scope, from: me.id, to: '*', body: args.body, kind: args.kind, data: asJson(args.data) });
      return { sent: m.id, to: '*' };
    },
  }),
  tool({
    name: 'poll_messages',
    description:
      'Your unread messages (direct, to your role, and broadcasts since you joined), oldest first. Reading moves your cursor unless peek is true. ' +
      'To block until something arrives, use wait_for_activity instead.',
    input: z.strictObject({
      limit: z.number().int().min(1).max(100).optional().describe('At most this many (default 20).'),
      peek: z.boolean().optional().describe('Read without moving your cursor (default false).'),
    }),
    readOnly: true,
    async run(args, { ctx, me }) {
      const limit = args.limit ?? 20;
      const list = await ctx.store.pollMessages(me.id, { limit, peek: args.peek ?? false });
      return { messages: list.map(messageLine), more: list.length === limit };
    },
  }),
];
