import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Task } from '../bus/index.js';
import { groupMembers, killGroupAndWait, scanProcesses } from '../resources/index.js';
import type { RunContext } from './context.js';

/** The task a process was started for, as its environment names it; null for any other process. */
function taskOf(pid: number): string | null {
  try {
    const v = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith('DAEDALUS_TASK_ID='));
    return v ? v.slice('DAEDALUS_TASK_ID='.length) : null;
  } catch {
    return null;
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
  const ours = members.some((pid) => taskOf(pid) === task.id);
  if (ours && !(await killGroupAndWait(p.pgid))) return 'stuck';
  await ctx.store.releaseAttemptProcess(task.id, p.attempt);
  return ours ? 'killed' : 'gone';
}

/**
 * Attempts started but never fenced: a supervisor killed between starting an agent and recording
 * its group on the bus leaves no group to end, and the agent lives until its guard notices, which
 * on a loaded machine can be after a resumed supervisor has started the task again. Such agents
 * name their task in their environment: on this host, the groups of any still alive are killed
 * (never this process's own). Returns the tasks whose attempt was killed.
 */
export async function endUnfencedAttempts(taskIds: ReadonlySet<string>): Promise<string[]> {
  if (taskIds.size === 0) return [];
  const groups = new Map<number, string>();
  const all = scanProcesses() ?? [];
  const own = all.find((p) => p.pid === process.pid)?.pgrp ?? process.pid;
  for (const p of all) {
    if (p.state === 'Z' || p.pgrp === own || p.pgrp <= 1 || groups.has(p.pgrp)) continue;
    const task = taskOf(p.pid);
    if (task && taskIds.has(task)) groups.set(p.pgrp, task);
  }
  const killed: string[] = [];
  for (const [pgid, task] of groups) if (await killGroupAndWait(pgid)) killed.push(task);
  return [...new Set(killed)];
}
