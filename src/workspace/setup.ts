import { spawn } from 'node:child_process';
import { cp, mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DaedalusError } from '../common/index.js';
import { exists } from './context.js';
import type { Git } from './git.js';
import { splitZ } from './git.js';

export const WORKTREE_INCLUDE_FILE = '.worktreeinclude';

/**
 * Copies the git-ignored files of the user's checkout that match the include patterns (gitignore
 * syntax, matched by git itself) into a new worktree: `.env` and friends, which a fresh checkout
 * lacks. Only ignored files: an untracked, non-ignored file copied in would look like agent work.
 * `include` undefined reads `.worktreeinclude` from the checkout; no patterns costs no git call.
 */
export async function copyIncluded(git: Git, checkout: string, worktree: string, include: readonly string[] | undefined): Promise<string[]> {
  let patternArgs: string[];
  if (include === undefined) {
    const file = join(checkout, WORKTREE_INCLUDE_FILE);
    if (!(await exists(file))) return [];
    patternArgs = [`--exclude-from=${file}`];
  } else {
    const patterns = include.map((p) => p.trim()).filter((p) => p !== '' && !p.startsWith('#'));
    if (patterns.length === 0) return [];
    patternArgs = patterns.map((p) => `--exclude=${p}`);
  }
  const matching = splitZ(await git.ok(checkout, ['ls-files', '-z', '--others', '--ignored', ...patternArgs], 'ls-files (include patterns)'));
  if (matching.length === 0) return [];
  const r = await git.try(checkout, ['check-ignore', '-z', '--stdin'], { input: `${matching.join('\0')}\0` });
  // check-ignore exits 1 when nothing is ignored, which is an answer, not a failure.
  if (r.exitCode > 1) throw new DaedalusError('GIT_ERROR', `git check-ignore failed: ${r.stderr.trim()}`);
  const ignored = splitZ(r.stdout);
  // A few copies in flight: an included directory can hold thousands of files.
  let next = 0;
  const worker = async () => {
    for (let rel = ignored[next++]; rel !== undefined; rel = ignored[next++]) {
      const to = join(worktree, rel);
      await mkdir(dirname(to), { recursive: true });
      await cp(join(checkout, rel), to, { force: true, preserveTimestamps: true, verbatimSymlinks: true });
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, ignored.length) }, worker));
  return ignored;
}

export interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  canceled: boolean;
  durationMs: number;
}

export interface SetupCommandOptions {
  command: string;
  cwd: string;
  logPath: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Between SIGTERM and SIGKILL. Default 5 s. */
  graceMs?: number;
}

/**
 * Runs the project's setup command in a shell, in its own process group so a timeout or a cancel
 * takes down everything it started, with stdout and stderr appended to the log.
 */
export async function runSetupCommand(o: SetupCommandOptions): Promise<ProcessOutcome> {
  await mkdir(dirname(o.logPath), { recursive: true });
  const log = await open(o.logPath, 'a');
  const started = Date.now();
  try {
    await log.write(`$ ${o.command}\n# cwd ${o.cwd}\n`);
    return await new Promise<ProcessOutcome>((resolve) => {
      const child = spawn(o.command, {
        cwd: o.cwd,
        shell: true,
        detached: true,
        env: { ...process.env, ...o.env },
        stdio: ['ignore', log.fd, log.fd],
      });
      let timedOut = false;
      let canceled = false;
      let killTimer: NodeJS.Timeout | undefined;
      const stop = () => {
        killGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), o.graceMs ?? 5_000);
      };
      const timer = o.timeoutMs ? setTimeout(() => ((timedOut = true), stop()), o.timeoutMs) : undefined;
      const onAbort = () => ((canceled = true), stop());
      if (o.signal?.aborted) onAbort();
      else o.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        o.signal?.removeEventListener('abort', onAbort);
        resolve({ exitCode, signal, timedOut, canceled, durationMs: Date.now() - started });
      };
      child.on('error', () => finish(127, null));
      child.on('close', (code, sig) => finish(code, sig));
    });
  } finally {
    await log.close();
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
