import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Store } from '../../src/bus/index.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** `daedalus run` as a child process: the supervisor as people start it. */
export class CliRun {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], o: { cwd: string; home: string; env?: NodeJS.ProcessEnv }) {
    this.child = spawn(process.execPath, [CLI, 'run', ...args], {
      cwd: o.cwd,
      env: { ...process.env, DAEDALUS_HOME: o.home, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }
}

/** Process groups of the agents now running tasks of a run: found through their MCP servers' pids. */
export async function agentGroups(store: Store, scope: string, runId: string): Promise<number[]> {
  const groups: number[] = [];
  for (const t of await store.listTasks(scope, { runId, states: ['leased', 'running'] })) {
    const owner = t.leaseOwner ? await store.getInstance(t.leaseOwner) : null;
    if (!owner?.pid) continue;
    try {
      const stat = readFileSync(`/proc/${owner.pid}/stat`, 'utf8');
      groups.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]));
    } catch {
      // already gone
    }
  }
  return groups;
}
