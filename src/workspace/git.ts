import { DaedalusError, processSpawner, SpawnError } from '../common/index.js';

export interface GitRunOptions {
  cwd: string;
  /** Added on top of the runner's base environment. */
  env?: Record<string, string>;
  /** Written to git's stdin, then stdin is closed. */
  input?: string;
  signal?: AbortSignal;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * How every git command of the workspace layer runs. Injected so unit tests can record or fake
 * calls; a non-zero exit is data here, and the caller decides whether it is an error.
 */
export interface GitRunner {
  run(args: readonly string[], options: GitRunOptions): Promise<GitResult>;
}

/** Variables that would point git at another repository than the cwd's (e.g. when run from a hook). */
const REPO_OVERRIDES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_COMMON_DIR',
  'GIT_PREFIX',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_CEILING_DIRECTORIES',
];

/**
 * The environment our git calls run with: never prompt (no one is there to answer), messages in C
 * locale so the few we parse are stable, no editor, and no opportunistic index lock in checkouts
 * that belong to the user.
 */
export function gitEnvironment(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !REPO_OVERRIDES.includes(k)) env[k] = v;
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_OPTIONAL_LOCKS = '0';
  env.GIT_EDITOR = ':';
  env.GIT_MERGE_AUTOEDIT = 'no';
  env.LC_ALL = 'C';
  return env;
}

export interface RealGitRunnerOptions {
  /** The git executable; default `git` from PATH. */
  binary?: string;
  /** Base environment; default process.env, filtered by gitEnvironment. */
  env?: NodeJS.ProcessEnv;
}

/** The real runner, through the process's spawner (a helper process in a supervisor). */
export function createGitRunner(options: RealGitRunnerOptions = {}): GitRunner {
  const binary = options.binary ?? 'git';
  return {
    async run(args, { cwd, env, input, signal }) {
      // Built per call (microseconds) so a changed process.env is seen, as a child process would.
      const baseEnv = gitEnvironment(options.env ?? process.env);
      try {
        const r = await processSpawner().run(binary, args, { cwd, env: env ? { ...baseEnv, ...env } : baseEnv, input, signal });
        return { stdout: r.stdout, stderr: r.stderr, exitCode: r.code ?? (r.signal ? 128 : 1) };
      } catch (e) {
        const what = e instanceof SpawnError && e.code === 'ENOENT' ? `git not found or directory missing (${cwd})` : (e as Error).message;
        throw new DaedalusError('GIT_ERROR', `could not start git ${args[0] ?? ''}: ${what}`);
      }
    },
  };
}

let defaultRunner: GitRunner | undefined;
export function defaultGitRunner(): GitRunner {
  defaultRunner ??= createGitRunner();
  return defaultRunner;
}

/** The line of git's stderr that says what went wrong (fatal/error first), for one-line errors. */
export function gitMessage(stderr: string, stdout = ''): string {
  const lines = `${stderr}\n${stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('hint:'));
  const main = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[0] ?? 'no message';
  return main.replace(/^(fatal|error):\s*/, '');
}

/** Identity and settings for commits Daedalus creates itself, independent of the user's config. */
export const DAEDALUS_IDENTITY: Record<string, string> = {
  GIT_AUTHOR_NAME: 'Daedalus',
  GIT_AUTHOR_EMAIL: 'daedalus@localhost',
  GIT_COMMITTER_NAME: 'Daedalus',
  GIT_COMMITTER_EMAIL: 'daedalus@localhost',
};
/** A user's signing or rerere settings would make our commits prompt or auto-resolve differently. */
export const COMMIT_CONFIG = ['-c', 'commit.gpgsign=false', '-c', 'rerere.enabled=false'];

/**
 * A runner bound to throwing helpers. `ok` turns a failure into GIT_ERROR naming the operation;
 * `try` returns the result for the callers that branch on exit codes.
 */
export class Git {
  constructor(readonly runner: GitRunner = defaultGitRunner()) {}

  try(cwd: string, args: readonly string[], extra: Omit<GitRunOptions, 'cwd'> = {}): Promise<GitResult> {
    return this.runner.run(args, { ...extra, cwd });
  }

  async ok(cwd: string, args: readonly string[], operation: string, extra: Omit<GitRunOptions, 'cwd'> = {}): Promise<string> {
    const r = await this.try(cwd, args, extra);
    if (r.exitCode !== 0) throw gitError(operation, r, args);
    return r.stdout;
  }
}

export function gitError(operation: string, r: GitResult, args: readonly string[]): DaedalusError {
  return new DaedalusError('GIT_ERROR', `git ${operation} failed: ${gitMessage(r.stderr, r.stdout)}`, undefined, {
    args: [...args],
    exitCode: r.exitCode,
    stderr: r.stderr.slice(0, 4000),
  });
}

/** Lines of a `-z` output. */
export function splitZ(out: string): string[] {
  return out.split('\0').filter((s) => s !== '');
}
