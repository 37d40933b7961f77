import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { integrateBatch, integrateTask, type VerifySpec } from '../../src/workspace/index.js';
import { doTask, useFixture, type Fixture } from './fixture.js';

const BRANCH = 'daedalus/r1/integration';

describe('integrateBatch (verify_after: batch)', () => {
  const fx = useFixture({ files: { 'README.md': '# r\n' } });
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'daedalus-batch-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Notes where the integration branch points while each verify runs, then fails on BROKEN. */
  const gate = (): VerifySpec => ({ commands: [`git rev-parse refs/heads/${BRANCH} >> ${join(dir, 'seen')}`, `! git grep -q BROKEN -- '*.txt'`], timeoutMs: 60_000 });
  const seen = async () => (await readFile(join(dir, 'seen'), 'utf8')).trim().split('\n');
  const head = async (f: Fixture) => (await f.repo.git(['rev-parse', BRANCH])).trim();
  const members = async (f: Fixture, tasks: string[]) =>
    Promise.all(tasks.map(async (task) => ({ task, taskHead: (await f.repo.git(['rev-parse', `daedalus/r1/${task}`])).trim(), verify: gate() })));

  it('verifies a passing batch once, and the branch moves to it only after the verdict', async () => {
    const f = fx();
    await doTask(f, 'a', { 'a.txt': 'a\n' });
    await doTask(f, 'b', { 'b.txt': 'b\n' });
    const green = await head(f);
    const out = await integrateBatch({ repo: f.repo.root, run: f.run, members: await members(f, ['a', 'b']), verify: gate() });
    expect(out.batchVerify?.tasks).toEqual(['a', 'b']);
    expect(out.batchVerify?.verdict.ok).toBe(true);
    expect(out.results.map((r) => [r.status, r.status === 'merged' && r.sharedVerify])).toEqual([['merged', true], ['merged', true]]);
    // One verify run, during which the branch was still at the last green head.
    expect(await seen()).toEqual([green]);
    const b = out.results[1]!;
    expect(b.status === 'merged' && b.integrationHead).toBe(await head(f));
    expect(await f.repo.git(['log', '--first-parent', '--format=%s', BRANCH])).toContain('daedalus: integrate task a');
  });

  it('drops a failed batch without the branch ever holding it, then merges each alone: the breaker is rejected, the rest stay', async () => {
    const f = fx();
    await doTask(f, 'a', { 'a.txt': 'a\n' });
    await doTask(f, 'bad', { 'bad.txt': 'BROKEN\n' });
    await doTask(f, 'c', { 'c.txt': 'c\n' });
    const green = await head(f);
    const out = await integrateBatch({ repo: f.repo.root, run: f.run, members: await members(f, ['a', 'bad', 'c']), verify: gate() });
    expect(out.batchVerify).toMatchObject({ tasks: ['a', 'bad', 'c'], verdict: { ok: false } });
    expect(out.results.map((r) => r.status)).toEqual(['merged', 'rejected', 'merged']);
    // Each merged alone carries its own verdict, not the batch's.
    expect(out.results.every((r) => (r.status === 'merged' || r.status === 'rejected') && !r.sharedVerify)).toBe(true);
    // The batch's verify saw the branch at green; then one run per member, in order.
    const runs = await seen();
    expect(runs).toHaveLength(4);
    expect(runs[0]).toBe(green);
    const subjects = (await f.repo.git(['log', '--first-parent', '--format=%s', BRANCH])).trim().split('\n');
    expect(subjects.slice(0, 2)).toEqual(['daedalus: integrate task c', 'daedalus: integrate task a']);
    await expect(f.repo.git(['grep', '-q', 'BROKEN', BRANCH, '--'])).rejects.toThrow();
    // The integration worktree is back on its branch, clean.
    const wt = join(f.integration.runDir, '_integration');
    expect((await f.repo.git(['symbolic-ref', 'HEAD'], wt)).trim()).toBe(`refs/heads/${BRANCH}`);
    expect(await f.repo.git(['status', '--porcelain', '--untracked-files=all'], wt)).toBe('');
  });

  it('a batch of one that fails is rejected on its single verify run', async () => {
    const f = fx();
    await doTask(f, 'bad', { 'bad.txt': 'BROKEN\n' });
    const green = await head(f);
    const out = await integrateBatch({ repo: f.repo.root, run: f.run, members: await members(f, ['bad']), verify: gate() });
    expect(out.results[0]).toMatchObject({ status: 'rejected', sharedVerify: true, integrationHead: green });
    expect(await seen()).toEqual([green]);
    expect(await head(f)).toBe(green);
  });
  it('verify_after: merge gates each merge the same way: the branch never holds a merge under verification', async () => {
    const f = fx();
    await doTask(f, 'a', { 'a.txt': 'a\n' });
    await doTask(f, 'bad', { 'bad.txt': 'BROKEN\n' });
    const green = await head(f);
    const a = await integrateTask({ repo: f.repo.root, run: f.run, task: 'a', verify: gate() });
    expect(a.status).toBe('merged');
    const afterA = await head(f);
    expect(a.status === 'merged' && a.integrationHead).toBe(afterA);
    const bad = await integrateTask({ repo: f.repo.root, run: f.run, task: 'bad', verify: gate() });
    expect(bad).toMatchObject({ status: 'rejected', integrationHead: afterA });
    // While each verify ran, a task provisioned from the branch would have started from green heads only.
    expect(await seen()).toEqual([green, afterA]);
    expect(await head(f)).toBe(afterA);
    const wt = join(f.integration.runDir, '_integration');
    expect((await f.repo.git(['symbolic-ref', 'HEAD'], wt)).trim()).toBe(`refs/heads/${BRANCH}`);
    expect(await f.repo.git(['status', '--porcelain', '--untracked-files=all'], wt)).toBe('');
  });
});
