import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/bus/index.js';
import { canMount } from '../helpers/mounts.js';
import { CliRun } from './cli-run.js';
import { byPackage, defaults, runningPeriods, useRunWorld, waitFor } from './helpers.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const MOUNTABLE = canMount();

const plan = (n: number, release?: string) => `
plan: faults
defaults: ${defaults({ max_agents: '2' })}
packages:
${Array.from(
  { length: n },
  (_, i) => `  - id: p${i}
    description: package ${i}
    script: { duration: 200ms${release ? `, behaviour: slow, wait_for: "${release}"` : ''}, writes: { p${i}.txt: "${i}\\n" } }`,
).join('\n')}
`;

/** The CLI's stderr must be the one-line report: no stack trace, no "this is a bug". */
function expectCleanReport(r: { status: number | null; stderr: string }, file: string, what: RegExp): void {
  expect(r.status, r.stderr).toBe(3);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toContain(file);
  expect(lines[0]).toMatch(what);
  expect(lines.slice(1).every((l) => l.startsWith('  hint: ')), r.stderr).toBe(true);
  expect(r.stderr).not.toMatch(/internal error|this is a bug|\n\s+at /);
}

describe('a bus file that is not a usable database', () => {
  const w = useRunWorld();
  const mounts: string[] = [];
  afterEach(() => {
    for (const m of mounts.splice(0)) spawnSync('umount', ['-l', m]);
  });

  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [CLI, ...args], { cwd: w.repo.root, env: { ...process.env, DAEDALUS_HOME: w.home, ...env }, encoding: 'utf8', timeout: 120_000 });

  let buses = 0;
  /** A bus with a finished run in it: real tables and rows to damage. */
  async function realBus(file: string): Promise<void> {
    const r = await w.run(await w.plan(plan(2)), { runId: `first-${++buses}`, bus: `sqlite:${file}` });
    expect(r.report.status, JSON.stringify(r.report.tasks)).toBe('done');
    // The WAL is folded into the file on close; what is damaged below is all there is.
    const s = await openStore(`sqlite:${file}`);
    await s.close();
  }

  it('a file that is not a database: exit 3 naming it, for reading and for running', async () => {
    const file = join(w.dir, 'notes.db');
    writeFileSync(file, 'these are my notes, not a database\n'.repeat(200));
    expectCleanReport(cli(['bus', 'status', '--bus', `sqlite:${file}`]), file, /not a SQLite database/);
    expectCleanReport(cli(['run', await w.plan(plan(1)), '--bus', `sqlite:${file}`, '--repo', w.repo.root]), file, /not a SQLite database/);
    // Nothing was written over it.
    expect(readFileSync(file, 'utf8')).toBe('these are my notes, not a database\n'.repeat(200));
  }, 240_000);

  it('a truncated bus and a corrupted one: exit 3 naming the file and saying it is damaged', async () => {
    const file = join(w.dir, 'bus-cut.db');
    await realBus(file);
    const size = readFileSync(file).length;
    truncateSync(file, Math.floor(size / 3));
    expectCleanReport(cli(['bus', 'tasks', '--bus', `sqlite:${file}`]), file, /damaged|not a SQLite database/);

    const other = join(w.dir, 'bus-garbled.db');
    await realBus(other);
    // Overwrite every page after the first with noise: the schema page survives, the tables do not.
    const bytes = readFileSync(other);
    for (let i = 4096; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
    writeFileSync(other, bytes);
    expectCleanReport(cli(['bus', 'tasks', '--bus', `sqlite:${other}`]), other, /damaged|not a SQLite database/);
  }, 240_000);

  it.skipIf(!MOUNTABLE)('a bus on a read-only filesystem: exit 3 naming the file and saying it cannot be written', async () => {
    const dir = join(w.dir, 'ro');
    mkdirSync(dir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir]);
    mounts.push(dir);
    const file = join(dir, 'bus.db');
    await realBus(file);
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    expectCleanReport(cli(['run', await w.plan(plan(1)), '--bus', `sqlite:${file}`, '--repo', w.repo.root]), file, /cannot be (written|opened)/);
  }, 240_000);

  it.skipIf(!MOUNTABLE)(
    'the bus filesystem filling up mid-run: exit 3 naming the file, and once space is freed --resume merges every task once',
    async () => {
      const dir = join(w.dir, 'small');
      mkdirSync(dir);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir]);
      mounts.push(dir);
      const file = join(dir, 'bus.db');
      const release = join(w.dir, 'release');
      const run = new CliRun([await w.plan(plan(4, release)), '--bus', `sqlite:${file}`, '--repo', w.repo.root, '--run-id', 'full'], {
        cwd: w.repo.root,
        home: w.home,
        // One second of patience for space, for the supervisor and its agents' MCP servers: then they stop.
        env: { DAEDALUS_BUS_RETRY: '1s' },
      });
      try {
        const store = await openStore(`sqlite:${file}`);
        await waitFor('two agents running', async () => {
          if (!run.running) throw new Error(`the supervisor exited early:\n${run.stderr}`);
          return (await store.listTasks(w.scope, { runId: 'full', states: ['running'] })).length === 2;
        }, 180_000, 50);
        await store.close();
        // Fill the filesystem to the last byte, then let the agents finish: their ends cannot be written.
        const filler = join(dir, 'filler');
        const fd = openSync(filler, 'w');
        const block = Buffer.alloc(64 * 1024, 1);
        try {
          for (;;) writeSync(fd, block);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        }
        try {
          for (;;) writeSync(fd, block, 0, 512);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        }
        closeSync(fd);
        writeFileSync(release, '');
        const end = await run.exited;
        expectCleanReport({ status: end.code, stderr: run.stderr.split('\n').filter((l) => l.startsWith('daedalus:') || l.startsWith('  hint:')).join('\n') }, file, /full|failed/);
        expect(run.stderr).not.toMatch(/internal error|this is a bug|\n\s+at /);

        rmSync(filler);
        const resumed = cli(['run', '--resume', 'full', '--bus', `sqlite:${file}`, '--repo', w.repo.root]);
        expect(resumed.status, resumed.stderr).toBe(0);
        const s = await openStore(`sqlite:${file}`);
        const events = await s.readEvents(w.scope, { after: 0, runId: 'full', limit: 100_000 });
        await s.close();
        const done = byPackage('full', events, 'task.done');
        for (let i = 0; i < 4; i++) expect(done.get(`p${i}`), `p${i} done once`).toHaveLength(1);
        runningPeriods('full', events);
        const merges = (await w.integrationLog('full')).filter((s) => s.startsWith('daedalus: integrate task '));
        expect(merges.sort()).toEqual([0, 1, 2, 3].map((i) => `daedalus: integrate task p${i}`));
      } finally {
        run.kill('SIGKILL');
      }
    },
    240_000,
  );
});
