import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore, resolveScope } from '../../src/bus/index.js';
import { isolateGitConfig, makeTempRepo, type TempRepo } from '../helpers/git-repo.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** The CLI as a person runs it, in the repository, on the test's bus. */
function cli(cwd: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, DAEDALUS_BUS: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('what a new user runs into on the command line', () => {
  let repo: TempRepo;
  let dir: string;
  let bus: string;
  let restore: () => void;
  beforeAll(() => (restore = isolateGitConfig()));
  afterAll(() => restore());
  beforeEach(async () => {
    repo = await makeTempRepo({ files: { 'README.md': '# r\n' } });
    dir = await mkdtemp(join(tmpdir(), 'daedalus-cli-'));
    bus = `sqlite:${join(dir, 'bus.db')}`;
  });
  afterEach(async () => {
    await repo.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('bus events --type X --limit N shows the last N events of that type, not the last N filtered', async () => {
    const store = await openStore(bus);
    const scope = resolveScope(repo.root);
    const t = await store.createTask(scope, { title: 'one task' });
    for (let i = 0; i < 20; i++) await store.kvSet(scope, `k${i}`, i);
    await store.close();
    const r = cli(repo.root, ['--bus', bus, 'bus', 'events', '--type', 'task.', '--limit', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const events = JSON.parse(r.stdout) as { type: string; taskId: string }[];
    expect(events).toEqual([expect.objectContaining({ type: 'task.ready', taskId: t.id })]);
  });

  it('plan check --json on an invalid plan prints the problems as JSON, exit 2', async () => {
    const plan = join(dir, 'bad.yaml');
    await writeFile(plan, 'plan: bad\npackages:\n  - id: a\n    description: x\n    depends_on: [ghost]\n');
    const r = cli(repo.root, ['plan', 'check', plan, '--json']);
    expect(r.code).toBe(2);
    const body = JSON.parse(r.stdout) as { valid: boolean; problems: { line: number; field: string; message: string }[] };
    expect(body.valid).toBe(false);
    expect(body.problems[0]).toMatchObject({ line: 5, field: 'depends_on', message: expect.stringContaining('ghost') });
  });

  it('a bus that does not exist is an error for the commands that read it, and is not created', () => {
    const missing = join(dir, 'no', 'such', 'dir', 'bus.db');
    const r = cli(repo.root, ['--bus', `sqlite:${missing}`, 'bus', 'status']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^daedalus: there is no bus at sqlite:/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });

  it('plan show estimates a package without an estimate from the history run would use', async () => {
    const store = await openStore(bus);
    const scope = resolveScope(repo.root);
    for (const ms of [60_000, 120_000, 180_000]) {
      await store.recordHistory({ scope, type: 'review', taskId: null, runId: 'earlier', outcome: 'success', durationMs: ms, peakRssBytes: null, cpuMs: null });
    }
    await store.close();
    const plan = join(dir, 'plan.yaml');
    await writeFile(plan, 'plan: p\npackages:\n  - id: look\n    type: review\n    description: review it\n');
    const r = cli(repo.root, ['--bus', bus, 'plan', 'show', plan, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { layers: { id: string; estimateMs: number; estimateFrom: string }[][] };
    expect(report.layers[0]![0]).toMatchObject({ id: 'look', estimateMs: 120_000, estimateFrom: 'fallback' });
  });
  it('run --json prints every event of the run as a JSON line of its own, in order, then the report', async () => {
    const plan = join(dir, 'plan.yaml');
    await writeFile(
      plan,
      'plan: p\ndefaults: { harness: shell, strategy: parallel }\npackages:\n' +
        ['a', 'b', 'c'].map((id) => `  - id: ${id}\n    description: writes ${id}\n    run: "echo ${id} > ${id}.txt"\n`).join('') +
        '  - id: last\n    description: after the others\n    run: "true"\n    depends_on: [a, b, c]\n',
    );
    const r = cli(repo.root, ['--bus', bus, 'run', plan, '--run-id', 'lines', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; id?: number; taskId?: string; counts?: { done: number } });
    expect(lines.at(-1)).toMatchObject({ type: 'report', counts: { done: 4 } });
    const events = lines.filter((l) => typeof l.id === 'number');
    const ids = events.map((e) => e.id!);
    expect(ids).toEqual([...new Set(ids)].sort((x, y) => x - y));
    const done = events.filter((e) => e.type === 'task.done').map((e) => e.taskId);
    expect(done.sort()).toEqual(['lines:a', 'lines:b', 'lines:c', 'lines:last']);
  });
});
