import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDaedalusError } from '../../src/common/errors.js';
import type { GitRunner } from '../../src/workspace/index.js';
import { createGitRunner, createIntegration, gitEnvironment, withLock } from '../../src/workspace/index.js';
import { Git, gitMessage } from '../../src/workspace/git.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'daedalus-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('withLock', () => {
  it('runs callers in one process one at a time, in order', async () => {
    const path = join(dir, 'a.lock');
    const events: string[] = [];
    const job = (name: string) =>
      withLock(path, async () => {
        events.push(`start ${name}`);
        await sleep(15);
        events.push(`end ${name}`);
        return name;
      });
    expect(await Promise.all([job('1'), job('2'), job('3')])).toEqual(['1', '2', '3']);
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('releases after a failure, and removes its lock file', async () => {
    const path = join(dir, 'b.lock');
    await expect(withLock(path, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withLock(path, async () => 'next')).toBe('next');
    await expect(readFile(path)).rejects.toThrow();
  });

  it('waits for a lock file held by another live process, and times out with LOCK_HELD', async () => {
    const path = join(dir, 'c.lock');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const pid = holder.pid ?? 0;
      await writeFile(path, JSON.stringify({ pid, host: hostname(), token: 'other', reason: 'a merge', since: Date.now() }));
      const err = await withLock(path, async () => 'never', { timeoutMs: 150 }).catch((e: unknown) => e);
      expect(isDaedalusError(err, 'LOCK_HELD')).toBe(true);
      if (isDaedalusError(err)) expect(err.message).toContain(`pid ${pid}`);

      const waiting = withLock(path, async () => 'got it', { timeoutMs: 5_000 });
      await sleep(100);
      await rm(path);
      expect(await waiting).toBe('got it');
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('takes over a lock file whose holder died', async () => {
    const path = join(dir, 'd.lock');
    const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((r) => dead.on('close', r));
    await writeFile(path, JSON.stringify({ pid: dead.pid, host: hostname(), token: 'dead', reason: '', since: 0 }));
    expect(await withLock(path, async () => 'recovered', { timeoutMs: 1_000 })).toBe('recovered');
  });
});

describe('git runner', () => {
  it('turns a failure into one GIT_ERROR line naming the operation and git’s message', async () => {
    const git = new Git(createGitRunner());
    const err = await git.ok(dir, ['rev-parse', '--verify', 'nope'], 'rev-parse (test)').catch((e: unknown) => e);
    expect(isDaedalusError(err, 'GIT_ERROR')).toBe(true);
    if (!isDaedalusError(err)) return;
    expect(err.message).toBe('git rev-parse (test) failed: not a git repository (or any of the parent directories): .git');
    expect(err.message).not.toContain('\n');
    expect(err.details?.exitCode).toBe(128);
  });

  it('passes input on stdin and never prompts', async () => {
    const runner = createGitRunner();
    const r = await runner.run(['hash-object', '--stdin'], { cwd: dir, input: 'hello\n' });
    expect(r).toEqual({ stdout: 'ce013625030ba8dba906f756967f9e9ca394464a\n', stderr: '', exitCode: 0 });
    const env = gitEnvironment({ GIT_DIR: '/elsewhere', PATH: '/bin' });
    expect(env.GIT_DIR).toBeUndefined();
    expect(env.GIT_TERMINAL_PROMPT).toBe('0');
  });

  it('is injected: a fake runner’s answers drive the error classification', async () => {
    const seen: string[][] = [];
    const fake: GitRunner = {
      run: async (args) => {
        seen.push([...args]);
        return { stdout: '', stderr: 'fatal: this operation must be run in a work tree\n', exitCode: 128 };
      },
    };
    const err = await createIntegration({ repo: dir, run: 'r', git: fake, home: join(dir, 'home') }).catch((e: unknown) => e);
    expect(isDaedalusError(err, 'WORKSPACE_ERROR')).toBe(true);
    if (isDaedalusError(err)) expect(err.details?.reason).toBe('bare-repo');
    expect(seen).toEqual([['rev-parse', '--path-format=absolute', '--git-common-dir', '--show-toplevel']]);
  });

  it('picks the fatal line out of git’s chatter', () => {
    expect(gitMessage('hint: try this\nwarning: meh\nfatal: the real problem\n')).toBe('the real problem');
    expect(gitMessage('', 'Automatic merge failed\n')).toBe('Automatic merge failed');
  });
});
