/**
 * The code before a change, built side by side with ours so a benchmark can run both in one
 * session: `git archive` of a commit into a temp dir, sharing this checkout's node_modules, built
 * with its own tsc. Undefined (with the reason printed) when the commit or git is not available.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

export interface Baseline {
  commit: string;
  dir: string;
  /** dist/cli/main.js of the baseline (absent when built with `build: false`). */
  cli: string;
}

/** `build: false` skips tsc, for benchmarks that run the baseline's TypeScript through tsx. */
export function buildBaseline(ref: string, opts: { build?: boolean } = {}): Baseline | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dir = mkdtempSync(join(tmpdir(), 'daedalus-bench-base-'));
    execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C "${dir}"`], { cwd: root, stdio: 'inherit' });
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    const cli = join(dir, 'dist/cli/main.js');
    if (opts.build !== false) {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
      if (!existsSync(cli)) throw new Error('the build made no dist/cli/main.js');
    }
    return { commit: commit.slice(0, 10), dir, cli };
  } catch (e) {
    console.log(`\nbaseline ${ref} not measured: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
}
