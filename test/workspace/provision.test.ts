import { readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDaedalusError } from '../../src/common/errors.js';
import type { GitRunner } from '../../src/workspace/index.js';
import { createGitRunner, provisionTask } from '../../src/workspace/index.js';
import { doTask, integrate, useFixture } from './fixture.js';

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

describe('provisionTask', () => {
  const fx = useFixture({ files: { 'README.md': '# r\n', 'src/a.ts': 'export const a = 1;\n' } });

  it('provisions 8 worktrees in parallel, each usable and none inside the repository', async () => {
    const f = fx();
    const tasks = Array.from({ length: 8 }, (_, i) => `t${i + 1}`);
    const made = await Promise.all(tasks.map((task) => provisionTask({ repo: f.repo.root, run: f.run, task })));

    const paths = new Set(made.map((w) => w.path));
    expect(paths.size).toBe(8);
    for (const w of made) {
      expect(relative(f.repo.root, w.path).startsWith('..')).toBe(true);
      expect(w.path.startsWith(join(f.home, 'worktrees'))).toBe(true);
      expect(w.path.endsWith(join(f.run, w.task))).toBe(true);
      expect(w.baseCommit).toBe(f.integration.baseCommit);
      expect((await f.repo.git(['symbolic-ref', '--short', 'HEAD'], w.path)).trim()).toBe(`daedalus/r1/${w.task}`);
    }
    // Usable: each can take a commit of its own, in parallel too.
    await Promise.all(
      made.map(async (w) => {
        await f.repo.write(`${w.task}.txt`, w.task, w.path);
        await f.repo.commit(`work ${w.task}`, w.path);
      }),
    );
    for (const w of made) {
      const files = await f.repo.git(['ls-tree', '--name-only', `daedalus/r1/${w.task}`]);
      expect(files.split('\n')).toContain(`${w.task}.txt`);
    }
    expect(await f.repo.git(['status', '--porcelain'])).toBe('');
  });

  it('uses three git calls when there is nothing to copy or set up: the integration head is read from its ref file', async () => {
    const f = fx();
    const real = createGitRunner();
    const calls: string[][] = [];
    const counting: GitRunner = { run: (args, o) => (calls.push([...args]), real.run(args, o)) };
    await provisionTask({ repo: f.repo.root, run: f.run, task: 'lean', git: counting });
    expect(calls.map((c) => c.find((a) => !a.startsWith('-')))).toEqual(['rev-parse', 'worktree', 'reset']);
  });

  it('still finds the integration head when git packed the branch away from its ref file', async () => {
    const f = fx();
    await f.repo.git(['pack-refs', '--all', '--prune']);
    const w = await provisionTask({ repo: f.repo.root, run: f.run, task: 'packed' });
    expect(w.baseCommit).toBe((await f.repo.git(['rev-parse', `daedalus/${f.run}/integration`])).trim());
    expect(await f.repo.head(w.path)).toBe(w.baseCommit);
  });

  it('a retry continues from what the previous attempt committed and left uncommitted', async () => {
    const f = fx();
    const first = await provisionTask({ repo: f.repo.root, run: f.run, task: 'retry' });
    await f.repo.write('half-done.txt', 'x', first.path);
    const committed = await f.repo.commit('first attempt, part 1', first.path);
    await f.repo.write('wip.txt', 'uncommitted\n', first.path);

    const second = await provisionTask({ repo: f.repo.root, run: f.run, task: 'retry' });
    expect(second).toMatchObject({ path: first.path, attempt: 2, continued: true, baseCommit: first.baseCommit });
    expect(await f.repo.head(second.path)).toBe(committed);
    expect(await f.repo.read('wip.txt', second.path)).toBe('uncommitted\n');
  });

  it('a retry after the agent deleted its .git continues there, with the link to the repository put back', async () => {
    const f = fx();
    const first = await provisionTask({ repo: f.repo.root, run: f.run, task: 'vandal' });
    await f.repo.write('kept.txt', 'k\n', first.path);
    const committed = await f.repo.commit('work before the vandalism', first.path);
    const { rm } = await import('node:fs/promises');
    await rm(join(first.path, '.git'), { force: true });
    const second = await provisionTask({ repo: f.repo.root, run: f.run, task: 'vandal' });
    expect(second.continued).toBe(true);
    expect(await f.repo.head(second.path)).toBe(committed);
  });

  it('fresh: starts over from the current integration head, keeping the old head on record', async () => {
    const f = fx();
    const first = await provisionTask({ repo: f.repo.root, run: f.run, task: 'retry' });
    await f.repo.write('half-done.txt', 'x', first.path);
    const failedHead = await f.repo.commit('failed attempt', first.path);
    await f.repo.write('debris.txt', 'junk', first.path);
    await doTask(f, 'other', { 'other.txt': 'merged meanwhile\n' });
    expect((await integrate(f, 'other')).status).toBe('merged');

    const second = await provisionTask({ repo: f.repo.root, run: f.run, task: 'retry', fresh: true });
    expect(second.path).toBe(first.path);
    expect(second.attempt).toBe(2);
    expect(second.baseCommit).not.toBe(first.baseCommit);
    expect(await exists(join(second.path, 'half-done.txt'))).toBe(false);
    expect(await exists(join(second.path, 'debris.txt'))).toBe(false);
    expect(await f.repo.read('other.txt', second.path)).toBe('merged meanwhile\n');
    expect(await f.repo.head(second.path)).toBe(second.baseCommit);
    const meta = JSON.parse(await readFile(second.metaPath, 'utf8')) as { previousHeads?: string[] };
    expect(meta.previousHeads).toEqual([failedHead]);
  });

  it('makes the worktree again from the task branch when its folder was deleted, commits included', async () => {
    const f = fx();
    const first = await provisionTask({ repo: f.repo.root, run: f.run, task: 'gone' });
    await f.repo.write('survivor.txt', 's\n', first.path);
    const committed = await f.repo.commit('committed before the folder went', first.path);
    const { rm } = await import('node:fs/promises');
    await rm(first.path, { recursive: true, force: true });
    const again = await provisionTask({ repo: f.repo.root, run: f.run, task: 'gone' });
    expect(again.continued).toBe(true);
    expect(await exists(join(again.path, 'README.md'))).toBe(true);
    expect(await f.repo.head(again.path)).toBe(committed);
  });

  it('copies git-ignored files matching .worktreeinclude, and nothing else', async () => {
    const f = fx();
    await f.repo.write('.gitignore', '.env\nbuild/\n*.local\n');
    await f.repo.write('.worktreeinclude', '# secrets the app needs\n.env\n*.local\nnotes.txt\n');
    await f.repo.commit('ignore rules');
    await createIntegrationAgain(f);
    await f.repo.write('.env', 'TOKEN=secret\n');
    await f.repo.write('config/app.local', 'local=1\n');
    await f.repo.write('build/out.js', 'built\n'); // ignored, but not included
    await f.repo.write('notes.txt', 'untracked, not ignored\n'); // included, but not ignored

    const ws = await provisionTask({ repo: f.repo.root, run: f.run, task: 'env' });
    expect(ws.copied.sort()).toEqual(['.env', 'config/app.local']);
    expect(await f.repo.read('.env', ws.path)).toBe('TOKEN=secret\n');
    expect(await exists(join(ws.path, 'build/out.js'))).toBe(false);
    expect(await exists(join(ws.path, 'notes.txt'))).toBe(false);
    // Copied files are ignored, so they never show up as the agent's work.
    expect(await f.repo.git(['status', '--porcelain'], ws.path)).toBe('');
  });

  it('takes include patterns from the options instead of the file', async () => {
    const f = fx();
    await f.repo.write('.gitignore', '.env\n.secret\n');
    await f.repo.write('.worktreeinclude', '.env\n');
    await f.repo.commit('ignore rules');
    await createIntegrationAgain(f);
    await f.repo.write('.env', 'A=1\n');
    await f.repo.write('.secret', 'B=2\n');
    const ws = await provisionTask({ repo: f.repo.root, run: f.run, task: 'opt', include: ['.secret'] });
    expect(ws.copied).toEqual(['.secret']);
  });

  it('runs the setup command in the worktree and logs its output outside the worktree', async () => {
    const f = fx();
    const ws = await provisionTask({
      repo: f.repo.root,
      run: f.run,
      task: 'setup',
      setupCommand: 'echo "setting up $DAEDALUS_TASK" && pwd && echo done > .setup-marker',
    });
    expect(ws.setupLogPath).not.toBeNull();
    const log = await readFile(ws.setupLogPath ?? '', 'utf8');
    expect(log).toContain('setting up setup');
    expect(log).toContain(ws.path);
    expect(relative(ws.path, ws.setupLogPath ?? '').startsWith('..')).toBe(true);
    expect(await f.repo.read('.setup-marker', ws.path)).toBe('done\n');
  });

  it('classifies a failing setup command as SETUP_FAILED with its log and exit code', async () => {
    const f = fx();
    const err = await provisionTask({
      repo: f.repo.root,
      run: f.run,
      task: 'broken',
      setupCommand: 'echo "installing deps"; echo "npm ERR! missing thing" >&2; exit 3',
    }).catch((e: unknown) => e);
    expect(isDaedalusError(err, 'SETUP_FAILED')).toBe(true);
    if (!isDaedalusError(err)) return;
    expect(err.message).toContain('broken');
    expect(err.details?.exitCode).toBe(3);
    const logPath = String(err.details?.logPath);
    const log = await readFile(logPath, 'utf8');
    expect(log).toContain('installing deps');
    expect(log).toContain('npm ERR! missing thing');
  });

  it('kills a setup command that runs past its timeout', async () => {
    const f = fx();
    const started = Date.now();
    const err = await provisionTask({
      repo: f.repo.root,
      run: f.run,
      task: 'slow',
      setupCommand: 'sleep 30',
      setupTimeoutMs: 200,
    }).catch((e: unknown) => e);
    expect(isDaedalusError(err, 'SETUP_FAILED')).toBe(true);
    if (isDaedalusError(err)) expect(err.details?.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses a run without an integration branch, and ids that cannot be branch names', async () => {
    const f = fx();
    const noRun = await provisionTask({ repo: f.repo.root, run: 'never-started', task: 't' }).catch((e: unknown) => e);
    expect(isDaedalusError(noRun, 'WORKSPACE_ERROR')).toBe(true);
    const badId = await provisionTask({ repo: f.repo.root, run: f.run, task: '../escape' }).catch((e: unknown) => e);
    expect(isDaedalusError(badId, 'INVALID_INPUT')).toBe(true);
  });
});

/** Fixtures that commit new files must move the run's base: restart the run on the new HEAD. */
async function createIntegrationAgain(f: ReturnType<ReturnType<typeof useFixture>>): Promise<void> {
  const { createIntegration } = await import('../../src/workspace/index.js');
  f.run = 'r2';
  f.integration = await createIntegration({ repo: f.repo.root, run: f.run });
}
