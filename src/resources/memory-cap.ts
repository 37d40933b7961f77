import type { TaskUsage } from './process-tree.js';

export interface CapBreach {
  taskId: string;
  rssBytes: number;
  capBytes: number;
  pids: number[];
  reason: string;
}

/**
 * Tasks whose process tree is over its memory cap now. Current RSS, not the peak: a tree that
 * spiked and came back down is no reason to kill it. The overseer kills what this returns and
 * classifies the failure as `oom`. Tasks without a cap, or whose processes are gone, never
 * breach.
 */
export function overMemoryCap(
  usages: Iterable<TaskUsage>,
  caps: ReadonlyMap<string, number> | Readonly<Record<string, number | undefined>>,
): CapBreach[] {
  const capOf = (id: string): number | undefined =>
    caps instanceof Map ? caps.get(id) : (caps as Readonly<Record<string, number | undefined>>)[id];
  const out: CapBreach[] = [];
  for (const u of usages) {
    const cap = capOf(u.taskId);
    if (cap === undefined || !(cap > 0) || !u.alive || u.rssBytes <= cap) continue;
    out.push({
      taskId: u.taskId,
      rssBytes: u.rssBytes,
      capBytes: cap,
      pids: u.pids,
      reason:
        `task ${u.taskId} uses ${mib(u.rssBytes)} RSS over ${u.pids.length} ` +
        `process${u.pids.length === 1 ? '' : 'es'}, over its ${mib(cap)} cap`,
    });
  }
  return out;
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}
