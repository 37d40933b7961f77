import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { DaedalusError } from '../../src/common/index.js';
import { openStore, resolveScope, type BusEvent, type Store, type Task } from '../../src/bus/index.js';
import { runPlan, type RunOptions, type RunResult } from '../../src/run/index.js';
import { isolateGitConfig, makeTempRepo, type TempRepo } from '../helpers/git-repo.js';

/** One test's world: a repository, a $DAEDALUS_HOME, a SQLite bus file and a folder for plans. */
export interface RunWorld {
  repo: TempRepo;
  home: string;
  bus: string;
  /** Plans, logs and anything else the test writes outside the repository. */
  dir: string;
  scope: string;
  /** Writes a plan file and returns its path. */
  plan(yaml: string, name?: string): Promise<string>;
  run(plan: string, opts?: Partial<RunOptions>): Promise<RunResult>;
  /** A store on the test's bus, closed after the test. */
  store(): Promise<Store>;
  events(runId: string): Promise<BusEvent[]>;
  tasks(runId: string): Promise<Map<string, Task>>;
  /** Subjects of the integration branch's first-parent history, oldest first. */
  integrationLog(runId: string): Promise<string[]>;
}

/**
 * Gives every test of the file its own world and removes it afterwards. Git runs without the
 * machine's config; DAEDALUS_HOME points into the world too, for anything that reads it.
 */
export function useRunWorld(): RunWorld {
  const w = {} as RunWorld;
  let restoreGit: () => void;
  let homeBefore: string | undefined;
  const stores: Store[] = [];
  beforeAll(() => {
    restoreGit = isolateGitConfig();
  });
  afterAll(() => restoreGit());
  beforeEach(async () => {
    w.repo = await makeTempRepo({ files: { 'README.md': '# test\n', '.gitignore': '.daedalus/\n' } });
    w.dir = await mkdtemp(join(tmpdir(), 'daedalus-run-'));
    w.home = join(w.dir, 'home');
    w.bus = `sqlite:${join(w.dir, 'bus.db')}`;
    w.scope = resolveScope(w.repo.root, {});
    homeBefore = process.env.DAEDALUS_HOME;
    process.env.DAEDALUS_HOME = w.home;
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    if (homeBefore === undefined) delete process.env.DAEDALUS_HOME;
    else process.env.DAEDALUS_HOME = homeBefore;
    await w.repo.cleanup();
    await rm(w.dir, { recursive: true, force: true, maxRetries: 5 });
  });
  let n = 0;
  w.plan = async (yaml, name = `plan-${++n}.yaml`) => {
    const file = join(w.dir, name);
    await writeFile(file, yaml);
    return file;
  };
  w.run = (plan, opts = {}) => runPlan({ plan, repo: w.repo.root, home: w.home, bus: w.bus, ...opts });
  w.store = async () => {
    const s = await openStore(w.bus);
    stores.push(s);
    return s;
  };
  w.events = async (runId) => (await w.store()).readEvents(w.scope, { after: 0, runId, limit: 100_000 });
  w.tasks = async (runId) => {
    const list = await (await w.store()).listTasks(w.scope, { runId, limit: 1000 });
    return new Map(list.map((t) => [t.key ?? t.id, t]));
  };
  w.integrationLog = async (runId) => {
    const out = await w.repo.git(['log', '--first-parent', '--reverse', '--format=%s', `daedalus/${runId}/integration`]);
    return out.split('\n').filter(Boolean);
  };
  return w;
}

/** The package id of a run's task id (`run:pkg`). */
export const pkgOf = (runId: string, taskId: string | null) => (taskId ?? '').slice(runId.length + 1);

/** Events of one type, by package. */
export function byPackage(runId: string, events: BusEvent[], type: string): Map<string, BusEvent[]> {
  const out = new Map<string, BusEvent[]>();
  for (const e of events) {
    if (e.type !== type || !e.taskId) continue;
    const k = pkgOf(runId, e.taskId);
    out.set(k, [...(out.get(k) ?? []), e]);
  }
  return out;
}

const RUN_ENDS = new Set(['task.integrating', 'task.done', 'task.retry', 'task.failed', 'task.yielded', 'task.cancelled']);

/**
 * Each package's periods of running, by event id: from `task.running` to whatever ended that
 * attempt (integration, done, retry, failure, yield). An open period ends at Infinity.
 */
export function runningPeriods(runId: string, events: BusEvent[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const e of events) {
    if (!e.taskId) continue;
    const k = pkgOf(runId, e.taskId);
    const periods = out.get(k) ?? [];
    const open = periods.at(-1);
    if (e.type === 'task.running') {
      expect(open === undefined || open[1] !== Infinity, `${k} started running again while running (event ${e.id})`).toBe(true);
      periods.push([e.id, Infinity]);
    } else if (RUN_ENDS.has(e.type) && open && open[1] === Infinity) {
      open[1] = e.id;
    }
    out.set(k, periods);
  }
  return out;
}

/**
 * Live members of a process group. Zombies are dead already: orphans wait for init to reap them,
 * and some inits (this machine's) take a while.
 */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone while we looked
    }
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') out.push(Number(name));
  }
  return out;
}

/** True while a process is alive (a zombie is not). */
export { processAlive as alive } from '../../src/common/index.js';

export const groupGone = (pgid: number) => groupMembers(pgid).length === 0;

/** Polls until the condition holds; fails with the message at the deadline. */
export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A plan's `defaults:` that keep tests fast and the resource gate out of the way, with overrides.
 */
export function defaults(over: Record<string, string | number> = {}): string {
  const d: Record<string, string | number> = {
    harness: 'script',
    strategy: 'parallel',
    scope: 'off',
    timeout: '30s',
    idle_timeout: '20s',
    retry_backoff: '100ms',
    ...over,
  };
  return `{ ${Object.entries(d).map(([k, v]) => `${k}: ${v}`).join(', ')} }`;
}

/** The error a bus outage raises, as a store fault to inject. */
export const busOutage = () => new DaedalusError('BUS_UNAVAILABLE', 'the bus is unavailable (injected)');

/**
 * The store, except that the named writes fail their first `times` calls with `fault()`: a full
 * disk or a bus outage at a chosen point of a run. `failed()` counts the injected failures.
 */
export function faultyStore(store: Store, methods: (keyof Store)[], times: number, fault: () => Error): { store: Store; failed: () => number } {
  let failed = 0;
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const fn = (value as (...a: unknown[]) => unknown).bind(target);
      if (!methods.includes(prop as keyof Store)) return fn;
      return async (...args: unknown[]) => {
        if (failed < times) {
          failed++;
          throw fault();
        }
        return fn(...args);
      };
    },
  });
  return { store: wrapped, failed: () => failed };
}

/**
 * The run (or anything) it is given, or a failure saying why it never ended, after a ceiling far
 * above its usual time: without the fix under test these runs hang instead of failing.
 */
export async function endsWithin<T>(work: Promise<T>, ms: number, never: string): Promise<T> {
  let ceiling: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, fail) => {
    ceiling = setTimeout(() => fail(new Error(never)), ms);
  });
  try {
    return await Promise.race([work, stuck]);
  } finally {
    clearTimeout(ceiling);
  }
}
