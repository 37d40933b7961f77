import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where Daedalus keeps its own files: the default bus, worktrees, logs. */
export function daedalusHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.DAEDALUS_HOME?.trim();
  return fromEnv ? resolve(fromEnv) : join(homedir(), '.daedalus');
}
