import { spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { AgentProcess, HarnessEvent, ProcessEnd } from './types.js';

/**
 * Every agent runs under a tiny sh guard that leads its own process group: it keeps a copy of the
 * supervisor's pipe on fd 3 and, when that pipe closes — the supervisor exited, even by SIGKILL —
 * it kills the whole group: SIGTERM, and SIGKILL two seconds later for whatever ignored it. The
 * watcher ignores SIGTERM itself, since it is in the group it signals; without that it died of its
 * own TERM before the KILL, and an agent ignoring SIGTERM outlived its supervisor. So no agent
 * outlives its supervisor. sh starts in a millisecond, which keeps dispatch fast; a Node guard
 * would cost tens.
 */
const GUARD = `exec 3<&0
"$@" </dev/null &
child=$!
{ trap '' TERM; cat <&3 >/dev/null; kill -TERM -$$ 2>/dev/null; sleep 2; kill -KILL -$$ 2>/dev/null; } >/dev/null 2>&1 &
wait "$child"
exit $?`;

const TAIL_BYTES = 4000;
/** Longer than the guard's sweep (TERM, 2 s, KILL), after which nothing in the group holds the pipes. */
const DRAIN_MS = 3000;

export interface SpawnOptions {
  cwd: string;
  env: Record<string, string>;
  /** Every byte of output also goes here. */
  logFile?: string;
  /** Turns output lines into events (stream-json parsers); default: each line is an output event. */
  parseLine?: (line: string) => HarnessEvent[];
}

export function spawnGroup(command: string, args: string[], opts: SpawnOptions): Promise<AgentProcess> {
  const startedAt = Date.now();
  const child = spawn('/bin/sh', ['-c', GUARD, 'daedalus-guard', command, ...args], {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const listeners: ((e: HarnessEvent) => void)[] = [];
  const emit = (e: HarnessEvent) => {
    for (const l of listeners) l(e);
  };
  let log: WriteStream | null = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : null;
  let tail = '';
  const parse = opts.parseLine ?? ((line: string) => [{ kind: 'output', text: line } as HarnessEvent]);
  const onData = (buffered: { rest: string }) => (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    log?.write(chunk);
    tail = (tail + text).slice(-TAIL_BYTES);
    const lines = (buffered.rest + text).split('\n');
    buffered.rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') for (const e of parse(line)) emit(e);
  };
  child.stdout.on('data', onData({ rest: '' }));
  child.stderr.on('data', onData({ rest: '' }));
  // The pipe stays open for the agent's whole life: closing it is the guard's signal to kill.
  child.stdin.on('error', () => undefined);

  const exited = new Promise<ProcessEnd>((resolve) => {
    child.on('exit', (code, signal) => {
      // Closing our end now lets the guard sweep anything the agent left running in its group.
      child.stdin.end();
      const durationMs = Date.now() - startedAt;
      // 'exit' can come before the last output is read; the tail must hold it, so wait for the
      // pipes to close — but not for a process that left the group and kept them open.
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const end = { exitCode: code, signal, durationMs, tail: tail.trim() };
        const l = log;
        log = null;
        if (l) l.end(() => resolve(end));
        else resolve(end);
      };
      const timer = setTimeout(settle, DRAIN_MS);
      child.once('close', settle);
    });
  });

  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => {
      const pgid = child.pid!;
      resolve({
        pgid,
        startedAt,
        onEvent: (l) => listeners.push(l),
        exited,
        async terminate(graceMs = 5000) {
          if (child.exitCode !== null || child.signalCode !== null) return exited;
          killGroup(pgid, 'SIGTERM');
          const timer = setTimeout(() => killGroup(pgid, 'SIGKILL'), graceMs);
          const end = await exited;
          clearTimeout(timer);
          // The leader is gone; anything left in its group goes too.
          killGroup(pgid, 'SIGKILL');
          return end;
        },
      });
    });
  });
}

export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}
