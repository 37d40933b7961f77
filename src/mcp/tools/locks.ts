import { z } from 'zod';
import type { Lock } from '../../bus/index.js';
import { DaedalusError } from '../../common/index.js';
import type { Identity, McpContext } from '../context.js';
import { inWords, iso } from '../result.js';
import { tool, type AnyTool } from '../tool.js';
import { annotationLine, lockLine } from '../views.js';
import { filePath, logicalPath, optionalTaskId } from './common.js';

const pathArg = filePath.describe('File or directory, relative to your worktree root (or absolute inside it). A directory lock covers everything under it.');

async function refuse(ctx: McpContext, me: Identity, requested: string, holder: Lock): Promise<never> {
  const inst = await ctx.store.getInstance(holder.owner);
  const who = inst ? `${holder.owner} (${inst.role}${inst.label ? `, ${inst.label}` : ''})` : holder.owner;
  // Remembered so wait_for_activity can report the release to this agent.
  ctx.session.awaitedLocks.add(requested);
  ctx.session.awaitedLocks.add(holder.path);
  const covering = holder.path === requested ? requested : `${requested} (via ${holder.path})`;
  throw new DaedalusError(
    'LOCK_HELD',
    `${covering} is locked by ${who}${holder.reason ? ` for "${holder.reason}"` : ''} until ${iso(holder.expiresAt)} (in ${inWords(holder.expiresAt - ctx.now())})`,
    `work on something else, or send_message to ${holder.owner}; wait_for_activity reports when it is released`,
    { holder: lockLine(holder, me.id), holderRole: inst?.role ?? null },
  );
}

export const lockTools: AnyTool[] = [
  tool({
    name: 'lock_file',
    description:
      'Take an advisory lock on a file or directory before editing it, so other agents do not edit it at the same time. ' +
      'Fails with LOCK_HELD naming the holder. The lock is tied to your current task and released when the task ends, when you unlock it, or at its TTL.',
    input: z.strictObject({
      path: pathArg,
      reason: z.string().max(500).optional().describe('What you are doing to it; the holder line others see.'),
      ttl_seconds: z.number().positive().optional().describe('How long the lock lasts (default 600, capped at 3600); locking again extends it.'),
      task_id: optionalTaskId,
    }),
    async run(args, { ctx, me }) {
      const path = logicalPath(me, args.path);
      const taskId = args.task_id ?? ctx.session.currentTaskId;
      if (args.task_id && !ctx.session.leases.has(args.task_id)) {
        throw new DaedalusError('FORBIDDEN', `task ${args.task_id} is not yours`, 'tie locks to a task you hold, or leave task_id out');
      }
      const ttlMs = Math.min(Math.round((args.ttl_seconds ?? ctx.options.lockTtlDefaultMs / 1000) * 1000), ctx.options.lockTtlMaxMs);
      const r = await ctx.store.lock({ scope: me.scope, path, owner: me.id, taskId, reason: args.reason ?? '', ttlMs });
      if (!r.ok) return refuse(ctx, me, path, r.holder);
      ctx.session.awaitedLocks.delete(path);
      return {
        locked: lockLine(r.lock, me.id),
        released_when: r.lock.taskId ? `task ${r.lock.taskId} ends, you unlock it, or it expires` : 'you unlock it, it expires, or you leave',
      };
    },
  }),
  tool({
    name: 'unlock_file',
    description: 'Release a lock you hold on a path (the same path you locked). Locks of a task are released automatically when it ends.',
    input: z.strictObject({ path: pathArg }),
    async run(args, { ctx, me }) {
      const path = logicalPath(me, args.path);
      const released = await ctx.store.unlock(me.scope, path, me.id);
      return released ? { path, released } : { path, released, note: 'you held no lock on exactly this path' };
    },
  }),
  tool({
    name: 'check_file',
    description: 'Before editing a file: who holds a lock covering it (the path, a parent directory or something inside it) and the latest notes others pinned to it.',
    input: z.strictObject({ path: pathArg }),
    readOnly: true,
    async run(args, { ctx, me }) {
      const path = logicalPath(me, args.path);
      const [locks, notes] = await Promise.all([ctx.store.checkLock(me.scope, path), ctx.store.searchAnnotations(me.scope, { file: path, limit: 5 })]);
      return {
        path,
        locked_by_others: locks.some((l) => l.owner !== me.id),
        locks: locks.map((l) => lockLine(l, me.id)),
        annotations: notes.map(annotationLine),
      };
    },
  }),
];
