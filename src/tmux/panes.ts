import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { bestEffort, DaedalusError, warnToStderr } from '../common/index.js';

const exec = promisify(execFile);

/**
 * Interactive agents run visibly in tmux panes on a private server per run (`tmux -L
 * daedalus-<run>`), so they never touch the user's own tmux sessions: one session per run, one
 * pane per agent, tiled. The control plane lays them out later; this only opens and finds panes.
 */

export interface PaneRequest {
  runId: string;
  /** Shown as the pane's title. */
  title: string;
  cwd: string;
  /** The command the pane runs (a launcher script: `sh /path/launch.sh`). */
  command: string;
  /** Injected for tests: the tmux binary. */
  tmux?: string;
}

export interface Pane {
  socket: string;
  session: string;
  paneId: string;
  /** The pane's process: a session and process-group leader, so its pid is the agent's pgid. */
  pid: number;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60);
export const socketName = (runId: string) => `daedalus-${safe(runId)}`;
export const sessionName = (runId: string) => safe(runId);

/** Pane creation per server is serialised: two agents starting at once must not both create the session. */
const queues = new Map<string, Promise<unknown>>();

async function tmux(bin: string, socket: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await exec(bin, ['-L', socket, ...args], { encoding: 'utf8' });
    return stdout.trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string; code?: string };
    if (err.code === 'ENOENT') throw new DaedalusError('INVALID_STATE', 'tmux is not installed', 'install tmux, or run the package with mode: headless');
    throw new DaedalusError('INVALID_STATE', `tmux ${args[0]} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

function parsePane(out: string, socket: string, session: string): Pane {
  const [paneId, pid] = out.split(' ');
  if (!paneId || !pid || !Number.isInteger(Number(pid))) throw new DaedalusError('INVALID_STATE', `tmux did not report the new pane: "${out}"`);
  return { socket, session, paneId, pid: Number(pid) };
}

async function createPane(req: PaneRequest): Promise<Pane> {
  const bin = req.tmux ?? 'tmux';
  const socket = socketName(req.runId);
  const session = sessionName(req.runId);
  const format = ['-P', '-F', '#{pane_id} #{pane_pid}'];
  const exists = await tmux(bin, socket, ['has-session', '-t', `=${session}`]).then(
    () => true,
    () => false,
  );
  let out: string;
  if (!exists) {
    out = await tmux(bin, socket, ['new-session', '-d', '-s', session, '-n', 'agents', '-x', '240', '-y', '60', '-c', req.cwd, ...format, req.command]);
  } else {
    // A full window ("no space for new pane") gets a sibling window.
    out = await tmux(bin, socket, ['split-window', '-d', '-t', `=${session}:agents`, '-c', req.cwd, ...format, req.command]).catch(() =>
      tmux(bin, socket, ['new-window', '-d', '-t', `=${session}`, '-c', req.cwd, ...format, req.command]),
    );
    await bestEffort('tiling the agents window', tmux(bin, socket, ['select-layout', '-t', `=${session}:agents`, 'tiled']), warnToStderr);
  }
  const pane = parsePane(out, socket, session);
  await bestEffort(`titling pane ${pane.paneId}`, tmux(bin, socket, ['select-pane', '-t', pane.paneId, '-T', req.title]), warnToStderr);
  return pane;
}

export function openPane(req: PaneRequest): Promise<Pane> {
  const socket = socketName(req.runId);
  // A failed creation is its own caller's error; the next one in the queue goes ahead regardless.
  const next = (queues.get(socket) ?? Promise.resolve()).catch(() => undefined).then(() => createPane(req));
  queues.set(socket, next);
  return next;
}

/** Copies everything the pane shows to a file (for the failure tail); output before this call is not copied. */
export async function logPane(pane: Pane, file: string, bin = 'tmux'): Promise<void> {
  await tmux(bin, pane.socket, ['pipe-pane', '-t', pane.paneId, '-o', `cat >> '${file.replace(/'/g, `'\\''`)}'`]);
}

/** Terminal output as plain text: escape sequences and carriage returns removed. */
export function stripAnsi(text: string): string {
  /* eslint-disable no-control-regex -- terminal escape sequences are control characters by definition */
  return text
    .replace(/\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)/g, '')
    .replace(/\u001b\[[0-9;?<>=]*[ -/]*[@-~]/g, '')
    .replace(/\u001b[@-Z\\-_]/g, '')
    .replace(/\r/g, '');
  /* eslint-enable no-control-regex */
}
