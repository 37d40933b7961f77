import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(new URL('../..', import.meta.url).pathname);

/**
 * The commit this bench's "before" figures come from: main just before `daedalus mcp` got its
 * bundled entry. BENCH_BEFORE_REF picks another (a branch, a tag, a sha); `none` skips them.
 */
export const DEFAULT_BEFORE_REF = '3afd4b45fad05447610dac8df9aa8d7de5d8d38a';

export interface BeforeTree {
  ref: string;
  sha: string;
  /** A checkout of the ref, built, sharing this checkout's node_modules. */
  dir: string;
}

/**
 * Another version of Daedalus built beside this one (under bench/tmp, kept for the next run), so a
 * bench can run the old and the new code interleaved in one run. Null when there is no such ref.
 */
export function buildBefore(ref = process.env.BENCH_BEFORE_REF ?? DEFAULT_BEFORE_REF): BeforeTree | null {
  if (ref === 'none') return null;
  let sha: string;
  try {
    sha = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    console.log(`before: ${ref} is not a commit of this repository; the before figures are skipped (set BENCH_BEFORE_REF)`);
    return null;
  }
  const dir = join(REPO, 'bench', 'tmp', `before-${sha.slice(0, 12)}`);
  if (!existsSync(join(dir, 'dist', 'cli', 'main.js'))) {
    console.log(`before: building ${ref} (${sha.slice(0, 12)}) in ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${sha} | tar -x -C '${dir}'`], { cwd: REPO, stdio: 'inherit' });
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    const clis = join(REPO, 'test', 'e2e', 'agent-clis', 'node_modules');
    if (existsSync(clis) && existsSync(join(dir, 'test', 'e2e', 'agent-clis'))) symlinkSync(clis, join(dir, 'test', 'e2e', 'agent-clis', 'node_modules'));
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return { ref, sha, dir };
}
