import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * Git configuration for tests that does not come from the machine: no global or system config
 * (so no identity, signing or hooks path of the developer leaks in), and an identity only for the
 * commits the test itself makes as "the user" or "the agent".
 */
export const TEST_GIT_ENV: Record<string, string> = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
};
const AUTHOR_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: 'Test User',
  GIT_AUTHOR_EMAIL: 'user@example.test',
  GIT_COMMITTER_NAME: 'Test User',
  GIT_COMMITTER_EMAIL: 'user@example.test',
};

/**
 * Makes the code under test run without the machine's git config either. Call in beforeAll; the
 * returned function restores the environment. Vitest isolates test files, so this stays local.
 */
export function isolateGitConfig(): () => void {
  const saved = new Map<string, string | undefined>();
  const set = (k: string, v: string | undefined) => {
    if (!saved.has(k)) saved.set(k, process.env[k]);
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
  for (const [k, v] of Object.entries(TEST_GIT_ENV)) set(k, v);
  for (const k of Object.keys(AUTHOR_ENV)) set(k, undefined);
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** Runs git as the test user; throws with git's stderr on failure. */
export async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await exec('git', args, {
      cwd,
      env: { ...process.env, ...TEST_GIT_ENV, ...AUTHOR_ENV },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${err.stderr ?? err.message}`);
  }
}

export interface TempRepo {
  /** The temp folder holding the repository (removed by cleanup). */
  dir: string;
  /** The repository's root (main worktree). */
  root: string;
  git(args: string[], cwd?: string): Promise<string>;
  write(rel: string, content: string, cwd?: string): Promise<void>;
  read(rel: string, cwd?: string): Promise<string>;
  /** `git add -A && git commit`; returns the new HEAD. */
  commit(message: string, cwd?: string): Promise<string>;
  head(cwd?: string): Promise<string>;
  cleanup(): Promise<void>;
}

export interface TempRepoOptions {
  /** The repository folder's name; may contain spaces. Default `repo`. */
  name?: string;
  /** Files of the first commit. Default a README. Ignored when `empty`. */
  files?: Record<string, string>;
  /** `git init` only: no commit at all. */
  empty?: boolean;
  branch?: string;
}

/** A throwaway repository in a temp folder, on `main` with one commit unless `empty`. */
export async function makeTempRepo(o: TempRepoOptions = {}): Promise<TempRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'daedalus-git-'));
  const root = join(dir, o.name ?? 'repo');
  await mkdir(root, { recursive: true });
  await git(root, ['init', '--quiet', '-b', o.branch ?? 'main']);
  const repo: TempRepo = {
    dir,
    root,
    git: (args, cwd = root) => git(cwd, args),
    async write(rel, content, cwd = root) {
      const p = join(cwd, rel);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, content);
    },
    read: (rel, cwd = root) => readFile(join(cwd, rel), 'utf8'),
    async commit(message, cwd = root) {
      await git(cwd, ['add', '-A']);
      await git(cwd, ['commit', '--quiet', '--no-verify', '-m', message]);
      return (await git(cwd, ['rev-parse', 'HEAD'])).trim();
    },
    head: async (cwd = root) => (await git(cwd, ['rev-parse', 'HEAD'])).trim(),
    cleanup: () => rm(dir, { recursive: true, force: true, maxRetries: 5 }),
  };
  if (!o.empty) {
    for (const [rel, content] of Object.entries(o.files ?? { 'README.md': '# test\n' })) await repo.write(rel, content);
    await repo.commit('initial');
  }
  return repo;
}

/** A fresh $DAEDALUS_HOME for one test; returns it and a cleanup that restores the old value. */
export async function useTempHome(): Promise<{ home: string; restore: () => Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'daedalus home '));
  const before = process.env.DAEDALUS_HOME;
  process.env.DAEDALUS_HOME = home;
  return {
    home,
    async restore() {
      if (before === undefined) delete process.env.DAEDALUS_HOME;
      else process.env.DAEDALUS_HOME = before;
      await rm(home, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
