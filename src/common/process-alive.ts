import { readFileSync } from 'node:fs';

/**
 * Whether a process of this host still runs. A zombie does not: an orphan waits for init to reap
 * it, which can take seconds, or forever where init does not reap (some containers).
 */
export function processAlive(pid: number): boolean {
  // kill(0, 0) and kill(-n, 0) would answer for a whole process group, ours included.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    // No /proc (not Linux), or no such process.
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
}
