import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { daedalusHome } from '../common/index.js';

/** The outer session: the chief on the left, the swarm on the right, git at the bottom. */
export const CONTROL_SESSION = 'daedalus';
/** The nested session whose panes are the Icarus workers. */
export const SWARM_SESSION = 'icarus-swarm';
/** Persistent agents get one window each in this session (kept out of the outer layout). */
export const AGENTS_SESSION = 'daedalus-agents';

/**
 * The control plane's private tmux server for one repository: `daedalus-cp-<repo>-<hash>`, so two
 * repositories never share one and the user's default server is never touched.
 * DAEDALUS_CONTROL_SOCKET overrides (tests, or two control planes on one repository).
 */
export function controlSocket(scope: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.DAEDALUS_CONTROL_SOCKET?.trim();
  if (fromEnv) return fromEnv;
  const hash = createHash('sha256').update(scope).digest('hex').slice(0, 8);
  const name = basename(scope).replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 30) || 'repo';
  return `daedalus-cp-${name}-${hash}`;
}

/** Where the control plane keeps its launcher scripts, MCP config and the chief's prompt. */
export function controlDir(socket: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(daedalusHome(env), 'control', socket);
}
