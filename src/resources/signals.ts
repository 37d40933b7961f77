import { readFileSync } from 'node:fs';
import { DaedalusError } from '../common/index.js';
import { parsePidStat } from './parse.js';
import { scanProcesses } from './process-tree.js';

/**
 * SIGSTOP / SIGCONT for a task's whole process group. SIGSTOP cannot be caught, so a paused
 * agent holds its memory but uses no CPU. Its MCP server is in the same group and stops too, so
 * the run must keep a paused task's lease alive itself.
 */

/** True when the group was signalled, false when it no longer exists. */
export function pauseProcessGroup(pgid: number): boolean {
  return signalGroup(pgid, 'SIGSTOP');
}

export function resumeProcessGroup(pgid: number): boolean {
  return signalGroup(pgid, 'SIGCONT');
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  // kill(-0) signals our own group and kill(-1) every process we may signal: a bad pgid here
  // would stop the supervisor or the whole desktop.
  if (!Number.isInteger(pgid) || pgid <= 1) {
    throw new DaedalusError('INVALID_INPUT', `refusing to send ${signal} to process group ${pgid}`);
  }
  if (pgid === ownProcessGroup()) {
    throw new DaedalusError(
      'INVALID_INPUT',
      `refusing to send ${signal} to the supervisor's own process group ${pgid}`,
      'agents must be started detached, in their own process group',
    );
  }
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') {
      const msg = `not allowed to send ${signal} to process group ${pgid}`;
      throw new DaedalusError('FORBIDDEN', msg, 'the group belongs to another user');
    }
    throw e;
  }
}

let ownGroup: number | undefined;

function ownProcessGroup(): number | undefined {
  if (ownGroup !== undefined) return ownGroup;
  try {
    ownGroup = parsePidStat(readFileSync('/proc/self/stat', 'utf8'))?.pgrp;
  } catch {
    // No /proc: the pgid ≤ 1 guard above is all the protection there is.
  }
  return ownGroup;
}

/** False once no process of the group is left, not even a zombie (kill with signal 0). */
function groupExists(pgid: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return true;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Live pids of the process group, from /proc; zombies are dead and do not count. */
export function groupMembers(pgid: number, procRoot = '/proc'): number[] {
  return (scanProcesses(procRoot) ?? []).filter((p) => p.pgrp === pgid && p.state !== 'Z').map((p) => p.pid);
}

/**
 * SIGKILLs the whole group, again while anything of it is left, until nothing is or timeoutMs
 * passed. True when the group is gone. A task's next attempt waits for this, so an agent that
 * ignored SIGTERM or kept running after its task left its hands never overlaps its successor.
 */
export async function killGroupAndWait(pgid: number, timeoutMs = 15_000, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; ; round++) {
    // One syscall answers the usual case, a group with nothing left in it at all. A group still
    // there after a SIGKILL may hold only zombies that nobody has reaped yet (an orphan's reaper
    // can be slow), which only a scan of /proc tells apart from live processes.
    if (!groupExists(pgid)) return true;
    const late = Date.now() > deadline;
    if ((round > 0 || late) && groupMembers(pgid).length === 0) return true;
    signalGroup(pgid, 'SIGKILL');
    if (late) return false;
    // A killed process is usually gone within milliseconds: look again soon, then every everyMs.
    await new Promise((r) => setTimeout(r, Math.min(everyMs, 5 * 2 ** round)));
  }
}
