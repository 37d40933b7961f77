import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DaedalusError } from '../common/index.js';

const exec = promisify(execFile);

/**
 * One tmux command on a private server (`tmux -L SOCKET`). `-f /dev/null` keeps the user's
 * ~/.tmux.conf out: it only matters when the command starts the server, and a private server must
 * behave the same on every machine (key bindings, base-index and hooks of a person's config would
 * move our panes).
 */
export async function runTmux(socket: string, args: string[], bin = 'tmux'): Promise<string> {
  try {
    const { stdout } = await exec(bin, ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env: withoutTmux(process.env) });
    return stdout.trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string; code?: string };
    if (err.code === 'ENOENT') throw new DaedalusError('INVALID_STATE', 'tmux is not installed', 'install tmux (apt-get install tmux), or run agents in headless mode');
    throw new DaedalusError('INVALID_STATE', `tmux ${args[0]} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

/** True when the session exists on that server (`=` makes the name exact, not a prefix). */
export async function hasSession(socket: string, session: string, bin = 'tmux'): Promise<boolean> {
  return runTmux(socket, ['has-session', '-t', `=${session}`], bin).then(
    () => true,
    () => false,
  );
}

/**
 * The environment for a tmux client: without TMUX, so a client started from inside a pane (the
 * nested swarm session, a person's own tmux) is not refused with "sessions should be nested with care".
 */
export function withoutTmux(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.TMUX;
  delete out.TMUX_PANE;
  return out;
}
