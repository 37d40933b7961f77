import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { withFewArenas } from '../common/index.js';
import { daedalusCliCommand } from './cli-path.js';

export interface DetachedWorker {
  pid: number;
  /** Where its output goes: it has no terminal. */
  log: string;
}

/**
 * Starts `daedalus worker` in the background, in a session of its own, so it outlives whoever
 * started it (an MCP server whose agent exits, a shell that closes), logging under
 * $DAEDALUS_HOME/logs. `args` are the worker's own options.
 */
export function startDetachedWorker(o: { home: string; cwd: string; bus?: string; args?: string[]; env?: NodeJS.ProcessEnv }): DetachedWorker {
  const logs = join(o.home, 'logs');
  mkdirSync(logs, { recursive: true });
  const log = join(logs, `worker-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
  const fd = openSync(log, 'a', 0o600);
  try {
    const [node, main] = daedalusCliCommand();
    const argv = [main!, ...(o.bus ? ['--bus', o.bus] : []), 'worker', ...(o.args ?? [])];
    const child = spawn(node!, argv, {
      cwd: o.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      // A worker is a supervisor that may run for days: see malloc-arenas.ts.
      env: { ...withFewArenas(workerEnv(o.env ?? process.env)), DAEDALUS_HOME: o.home },
    });
    child.unref();
    return { pid: child.pid ?? 0, log };
  } finally {
    closeSync(fd);
  }
}

/**
 * The environment without the identity of the agent whose MCP server starts the worker: a worker
 * is nobody's agent, and must not act with that agent's instance, task or lease.
 */
function workerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const identity = new Set(['DAEDALUS_SCOPE', 'DAEDALUS_INSTANCE_ID', 'DAEDALUS_ROLE', 'DAEDALUS_TASK_ID', 'DAEDALUS_LEASE_TOKEN', 'DAEDALUS_LEASE_MS', 'DAEDALUS_FILE_ROOT', 'DAEDALUS_RUN_ID', 'DAEDALUS_ATTEMPT']);
  return Object.fromEntries(Object.entries(env).filter(([k]) => !identity.has(k)));
}
