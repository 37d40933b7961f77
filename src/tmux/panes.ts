import { bestEffort, DaedalusError, warnToStderr } from '../common/index.js';
import { runTmux } from './server.js';

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
  /**
   * Where DAEDALUS_TMUX_SOCKET / DAEDALUS_TMUX_SESSION are read (default process.env): a worker
   * started by the control plane gets them, so its agents open in the control plane's swarm
   * session instead of a server of their own.
   */
  env?: NodeJS.ProcessEnv;
  /** Created by the first key a person types into the pane (see interceptBinding). */
  interceptFile?: string;
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

/** The window every agent pane of a session opens in. */
export const AGENTS_WINDOW = 'agents';

/** The server and session a request's pane goes to: the environment's overrides, else the run's own. */
export function paneTarget(req: Pick<PaneRequest, 'runId' | 'env'>): { socket: string; session: string } {
  const env = req.env ?? process.env;
  return {
    socket: env.DAEDALUS_TMUX_SOCKET?.trim() || socketName(req.runId),
    session: env.DAEDALUS_TMUX_SESSION?.trim() || sessionName(req.runId),
  };
}

/**
 * When an agent's pane closes, the ones left are re-tiled, so the window never keeps a hole where a
 * finished agent was. A session hook runs inside tmux itself: no process of ours has to be alive.
 */
export function retileHook(session: string): string[] {
  return ['set-hook', '-t', session, 'pane-exited', `select-layout -t '=${session}:${AGENTS_WINDOW}' tiled`];
}

/** The pane option holding the file a person's first keystroke in that pane creates. */
export const INTERCEPT_OPTION = '@daedalus_intercept_file';

/**
 * How a person typing into an agent's pane is told apart from everything else, without a timing
 * window: every key an attached client presses goes through the server's key tables, and `Any` in
 * the root table catches each key nothing else is bound to. For a pane that has INTERCEPT_OPTION
 * and was not typed into yet, the binding marks it and creates the file (one shell, once per
 * pane); then `send-keys` with no keys passes the very key pressed on to the pane. Keys a program
 * writes with `tmux send-keys` do not go through key tables, so only a person's keys count —
 * Daedalus itself never types into an agent's pane (prompts go in as files).
 */
export function interceptBinding(): string[] {
  const mark = `set-option -p @daedalus_typed 1 ; run-shell -b 'touch #{q:${INTERCEPT_OPTION}}'`;
  return ['bind-key', '-n', 'Any', `if-shell -F '#{&&:#{${INTERCEPT_OPTION}},#{!=:#{@daedalus_typed},1}}' { ${mark} } ; send-keys`];
}

/** Pane creation per server is serialised: two agents starting at once must not both create the session. */
const queues = new Map<string, Promise<unknown>>();

const tmux = (bin: string, socket: string, args: string[]) => runTmux(socket, args, bin);

function parsePane(out: string, socket: string, session: string): Pane {
  const [paneId, pid] = out.split(' ');
  if (!paneId || !pid || !Number.isInteger(Number(pid))) throw new DaedalusError('INVALID_STATE', `tmux did not report the new pane: "${out}"`);
  return { socket, session, paneId, pid: Number(pid) };
}

async function createPane(req: PaneRequest): Promise<Pane> {
  const bin = req.tmux ?? 'tmux';
  const { socket, session } = paneTarget(req);
  const format = ['-P', '-F', '#{pane_id} #{pane_pid}'];
  const exists = await tmux(bin, socket, ['has-session', '-t', `=${session}`]).then(
    () => true,
    () => false,
  );
  let out: string;
  if (!exists) {
    out = await tmux(bin, socket, ['new-session', '-d', '-s', session, '-n', AGENTS_WINDOW, '-x', '240', '-y', '60', '-c', req.cwd, ...format, req.command]);
    await bestEffort('re-tiling on pane exit', tmux(bin, socket, retileHook(session)), warnToStderr);
  } else {
    // A full window ("no space for new pane") gets a sibling window.
    out = await tmux(bin, socket, ['split-window', '-d', '-t', `=${session}:${AGENTS_WINDOW}`, '-c', req.cwd, ...format, req.command]).catch(() =>
      tmux(bin, socket, ['new-window', '-d', '-t', `=${session}`, '-c', req.cwd, ...format, req.command]),
    );
    await bestEffort('tiling the agents window', tmux(bin, socket, ['select-layout', '-t', `=${session}:${AGENTS_WINDOW}`, 'tiled']), warnToStderr);
  }
  const pane = parsePane(out, socket, session);
  // One tmux call for the title and the takeover watch (each call is a process of its own).
  const intercept = req.interceptFile ? [';', 'set-option', '-p', '-t', pane.paneId, INTERCEPT_OPTION, req.interceptFile, ';', ...interceptBinding()] : [];
  await bestEffort(`titling pane ${pane.paneId}`, tmux(bin, socket, ['select-pane', '-t', pane.paneId, '-T', req.title, ...intercept]), warnToStderr);
  return pane;
}

export function openPane(req: PaneRequest): Promise<Pane> {
  const { socket } = paneTarget(req);
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
