import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import type { BusEvent, Store, Task } from '../bus/index.js';
import { DaedalusError } from '../common/index.js';
import type { AttemptInfo, OutputTail, TaskDetail } from './api-types.js';

/** A task of this scope, or NOT_FOUND: the dashboard never reaches across scopes. */
export async function taskInScope(store: Store, scope: string, id: string): Promise<Task> {
  const t = await store.getTask(id);
  if (!t || t.scope !== scope) throw new DaedalusError('NOT_FOUND', `no task ${id} here`, 'pick a task from a run or the task list');
  return t;
}

/**
 * Where an attempt's agent output lives: $DAEDALUS_HOME/runs/RUN/PACKAGE/attempt-N/output.log
 * (the executor's attemptDir). Run ids and package keys come from the bus, which agents can write,
 * so a path that would leave the runs folder is refused rather than read.
 */
export function outputPath(home: string, task: Task, attempt: number): string | null {
  if (!task.runId || !task.key || !Number.isInteger(attempt) || attempt < 1) return null;
  const runs = resolve(home, 'runs');
  const path = resolve(runs, task.runId, task.key, `attempt-${attempt}`, 'output.log');
  const rel = relative(runs, path);
  if (rel.startsWith('..') || rel.split(sep).length !== 4) return null;
  return path;
}

const TAIL_BYTES = 64 * 1024;

/** The end of a file from `from` (or its last 64 KiB), as text. */
export function readTail(path: string, from?: number): { size: number; text: string } {
  const size = statSync(path).size;
  const start = from === undefined ? Math.max(0, size - TAIL_BYTES) : Math.min(from, size);
  const length = Math.min(size - start, 4 * TAIL_BYTES);
  if (length <= 0) return { size, text: '' };
  const buf = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, length, start);
  } finally {
    closeSync(fd);
  }
  return { size: start + length, text: buf.toString('utf8') };
}

export function outputTail(home: string, task: Task, attempt: number): OutputTail {
  const path = outputPath(home, task, attempt);
  if (!path || !existsSync(path)) return { attempt, size: 0, text: '', exists: false };
  return { attempt, exists: true, ...readTail(path) };
}

const ENDINGS: Record<string, string> = {
  'task.done': 'done',
  'task.failed': 'failed',
  'task.retry': 'retry',
  'task.cancelled': 'cancelled',
  'task.yielded': 'yielded',
};

/** Attempts from the task's own events: a claim opens one, its ending closes it. */
export function attemptsOf(events: BusEvent[], exists: (attempt: number) => boolean): AttemptInfo[] {
  const out: AttemptInfo[] = [];
  let cur: AttemptInfo | null = null;
  for (const e of events) {
    if (e.type === 'task.leased') {
      cur = { attempt: e.data.attempt, owner: e.data.owner, leasedAt: e.at, runningAt: null, endedAt: null, outcome: 'leased', reason: null, hasOutput: exists(e.data.attempt) };
      out.push(cur);
    } else if (cur && e.type === 'task.running') {
      cur.runningAt = e.at;
      cur.outcome = 'running';
    } else if (cur && e.type === 'task.integrating') {
      cur.outcome = 'integrating';
    } else if (cur && ENDINGS[e.type]) {
      cur.endedAt = e.at;
      cur.outcome = ENDINGS[e.type]!;
      if (e.type === 'task.failed') cur.reason = [e.data.kind, e.data.error].filter(Boolean).join(': ');
      if (e.type === 'task.retry') cur.reason = [e.data.kind, e.data.reason].filter(Boolean).join(': ');
      if (e.type === 'task.cancelled') cur.reason = e.data.reason;
      if (e.type === 'task.yielded') cur.reason = e.data.reason;
      cur = null;
    }
  }
  return out;
}

export async function taskDetail(store: Store, scope: string, home: string, id: string): Promise<TaskDetail> {
  const task = await taskInScope(store, scope, id);
  const events: BusEvent[] = [];
  for (let after = 0; ; ) {
    const page = await store.readEvents(scope, { after, taskIds: [id], limit: 5000 });
    events.push(...page);
    if (page.length < 5000) break;
    after = page.at(-1)!.id;
  }
  const exists = (n: number) => {
    const p = outputPath(home, task, n);
    return p !== null && existsSync(p);
  };
  return { task, attempts: attemptsOf(events, exists), events: events.slice(-300) };
}

