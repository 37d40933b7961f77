import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Task } from '../bus/index.js';
import { groupMembers, killGroupAndWait } from '../resources/index.js';
import type { RunContext } from './context.js';

/** True when the process was started for this task: its environment names it. */
function startedFor(pid: number, taskId: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`DAEDALUS_TASK_ID=${taskId}`);
  } catch {
    return false;
  }
}

export type PreviousAttempt = 'none' | 'killed' | 'gone' | 'elsewhere' | 'stuck';

/**
 * Before a task whose executor died runs again, the attempt it left must be dead. Its process
 * group is on the bus: on this host it is killed — only when something in it was started for
 * this task, since a recorded group id may have been reused by an unrelated process long after —
 * and the fence is lifted. On another host the fence stays until that executor is gone (the sweep
 * lifts it then, its agents having died with it).
 */
export async function endPreviousAttempt(ctx: Pick<RunContext, 'store'>, task: Task): Promise<PreviousAttempt> {
  const p = task.process;
  if (!p) return 'none';
  if (p.host !== hostname()) return 'elsewhere';
  const members = groupMembers(p.pgid);
  const ours = members.some((pid) => startedFor(pid, task.id));
  if (ours && !(await killGroupAndWait(p.pgid))) return 'stuck';
  await ctx.store.releaseAttemptProcess(task.id, p.attempt);
  return ours ? 'killed' : 'gone';
}
