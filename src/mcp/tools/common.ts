import { z } from 'zod';
import { normaliseLockPath, type Json, type Task } from '../../bus/index.js';
import { DaedalusError } from '../../common/index.js';
import type { Identity, McpContext } from '../context.js';

/** Schema pieces shared by the tool files. */

export const taskId = z.string().min(1).max(200);
export const optionalTaskId = taskId.optional().describe('Task id; defaults to your current task (the one you claimed last).');

/** Any JSON value. Arguments arrive as parsed JSON, so only presence needs checking. */
export const jsonValue = z.unknown().refine((v) => v !== undefined, 'a JSON value is required');

export const asJson = (v: unknown): Json => (v === undefined ? null : (v as Json));

export const filePath = z.string().min(1).max(4096);

export const seconds = (what: string, max: number) => z.number().positive().max(max).describe(`${what}, in seconds (at most ${max})`);

/** A task of this scope, or NOT_FOUND: scopes never see each other's rows. */
export async function scopedTask(ctx: McpContext, me: Identity, id: string): Promise<Task> {
  const t = await ctx.store.getTask(id);
  if (!t || t.scope !== me.scope) throw new DaedalusError('NOT_FOUND', `no task ${id} in this scope`, 'check the id with list_tasks');
  return t;
}

/** The shared logical path of a file: relative to the agent's file root, escapes refused (PATH_ESCAPE). */
export function logicalPath(me: Identity, path: string): string {
  return normaliseLockPath(me.fileRoot, path);
}
