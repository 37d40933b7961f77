import { processSpawner } from '../common/index.js';
import { createWriteStream, type WriteStream } from 'node:fs';
import { eventHub } from './event-hub.js';
import type { AgentProcess, HarnessEvent, ProcessEnd } from './types.js';

/**
 * Every agent runs under a tiny sh guard that leads its own process group: it keeps a copy of the
 * supervisor's pipe on fd 3 and, when that pipe closes — the supervisor exited, even by SIGKILL —
 * it kills the whole group: SIGTERM, and SIGKILL two seconds later for whatever ignored it. The
 * watcher ignores SIGTERM itself, since it is in the group it signals; without that it died of its
 * own TERM before the KILL, and an agent ignoring SIGTERM outlived its supervisor. So no agent
 * outlives its supervisor. sh starts in a millisecond, which keeps dispatch fast; a Node guard
 * would cost tens.
 *
 * When the agent exits by itself, the guard sends what it left in the group SIGTERM (SIGKILL follows
 * once the output pipes closed, or after the drain), then kills and reaps its own watcher (a shell builtin reads the pipe, so there is no `cat` to orphan). The group
 * is then usually empty the moment the guard's exit is seen: one kill(0) tells, where a watcher
 * left to die on its own became a zombie only a scan of /proc could tell from a live process.
 */
const GUARD = `exec 3<&0
"$@" </dev/null &
child=$!
{ trap '' TERM; while read -r _ <&3; do :; done; kill -TERM -$$ 2>/dev/null; sleep 2; kill -KILL -$$ 2>/dev/null; } >/dev/null 2>&1 &
watcher=$!
wait "$child"
status=$?
trap '' TERM
kill -TERM -$$ 2>/dev/null
kill -KILL "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
exit $status`;

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

export async function spawnGroup(command: string, args: string[], opts: SpawnOptions): Promise<AgentProcess> {
  const startedAt = Date.now();
  const { emit, onEvent } = eventHub();
  let log: WriteStream | null = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : null;
  let tail = '';
  const parse = opts.parseLine ?? ((line: string) => [{ kind: 'output', text: line } as HarnessEvent]);
  const rest = { 1: '', 2: '' };
  const onOutput = (chunk: Buffer, stream: 1 | 2) => {
    const text = chunk.toString('utf8');
    log?.write(chunk);
    tail = (tail + text).slice(-TAIL_BYTES);
    const lines = (rest[stream] + text).split('\n');
    rest[stream] = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') for (const e of parse(line)) emit(e);
  };
  // The guard's stdin pipe stays open for the agent's whole life: its closing is the signal to kill.
  const child = await processSpawner()
    .group('/bin/sh', ['-c', GUARD, 'daedalus-guard', command, ...args], { cwd: opts.cwd, env: opts.env, onOutput })
    .catch((e: unknown) => {
      log?.end();
      throw e;
    });

  const pgid = child.pid;
  const exited = child.exit.then(({ code, signal }) => {
    const durationMs = Date.now() - startedAt;
    // The exit can come before the last output is read; the tail must hold it, so wait for the
    // pipes to close — but not for a process that left the group and kept them open.
    return new Promise<ProcessEnd>((resolve) => {
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // The guard sent its leftovers SIGTERM as it exited; what still holds on now is killed.
        killGroup(pgid, 'SIGKILL');
        const end = { exitCode: code, signal, durationMs, tail: tail.trim() };
        const l = log;
        log = null;
        if (l) l.end(() => resolve(end));
        else resolve(end);
      };
      const timer = setTimeout(settle, DRAIN_MS);
      void child.closed.then(settle);
    });
  });

  return {
    pgid,
    startedAt,
    onEvent,
    exited,
    async terminate(graceMs = 5000) {
      if (child.hasExited()) return exited;
      killGroup(pgid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pgid, 'SIGKILL'), graceMs);
      const end = await exited;
      clearTimeout(timer);
      // The leader is gone; anything left in its group goes too.
      killGroup(pgid, 'SIGKILL');
      return end;
    },
  };
}

export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}
