import { execFileSync } from 'node:child_process';
import { dirname, isAbsolute, resolve } from 'node:path';

/**
 * The scope of a directory: the main worktree's root of its git repository, so every worktree of
 * one repo shares a scope; outside git, the directory itself. DAEDALUS_SCOPE overrides.
 */
export function resolveScope(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.DAEDALUS_SCOPE?.trim();
  if (fromEnv) return fromEnv;
  try {
    const common = execFileSync('git', ['rev-parse', '--git-common-dir'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const abs = isAbsolute(common) ? common : resolve(cwd, common);
    return dirname(abs);
  } catch {
    return resolve(cwd);
  }
}
