import { bestEffort, DaedalusError, resolveExecutable, warnToStderr } from '../common/index.js';
import { shQuote } from '../harness/index.js';
import { AGENTS_WINDOW, hasSession, interceptBinding, retileHook, runTmux } from '../tmux/index.js';
import { CONTROL_SESSION, SWARM_SESSION } from './names.js';

/**
 * The control plane's tmux layout, on a server of its own:
 *
 *   ┌──────────────┬──────────────────────────┐
 *   │ 0 Daedalus   │ 1 icarus-swarm (nested): │
 *   │   (fixed     │   one pane per worker,   │
 *   │    width)    │   re-tiled as they come  │
 *   ├──────────────┴──────────────────────────┤
 *   │ 2 git: lazygit, tig or git log --graph  │
 *   └─────────────────────────────────────────┘
 *
 * Tmux hooks keep it that way without a process of ours: `window-resized` puts the chief's width
 * and the git height back after the terminal changes size, `pane-exited` re-tiles the swarm.
 */

export interface LayoutOptions {
  socket: string;
  /** Working directory of every pane: the repository. */
  cwd: string;
  /** Pane 0's command (the Daedalus agent). */
  chief: string;
  /** Pane 2's command; default: see gitViewer. */
  git?: string;
  /** Pane 0's width: columns ("90") or a share of the window ("35%"). Default 40%. */
  chiefWidth?: string;
  /** Pane 2's height, the same way. Default 25%. */
  gitHeight?: string;
  /** Size of a session built without a terminal (`--detach`); an attaching client resizes it. */
  cols?: number;
  rows?: number;
  /** Set in every pane of the control plane (the bus, the scope, where the swarm's panes go). */
  env: Record<string, string>;
  tmux?: string;
}

export const PANE_TITLES = ['Daedalus', 'Icarus swarm', 'git'] as const;

/** The pane option where a pane's own wrapper records how its program ended (see endsVisibly). */
export const ENDED_OPTION = '@daedalus_status';

/**
 * A pane's program wrapped so that its end is said on the pane itself: why it ended and how to
 * bring it back, and its status in a pane option. tmux's own `pane_dead_status` (and with it the
 * remain-on-exit-format line) is sometimes never filled in (tmux 3.3 loses the exit status of a
 * pane now and then), so it cannot be the only record. The pane then stays (remain-on-exit).
 */
export function endsVisibly(title: string, command: string, bin = 'tmux'): string {
  const say = `printf '\\n\\033[7m %s ended (status %s) \\033[0m restart: prefix R or \\140daedalus\\140\\n' ${shQuote(title)} "$s"`;
  const option = `${shQuote(bin)} set-option -p -t "$TMUX_PANE"`;
  // A restarted pane forgets how it ended the last time.
  return `sh -c ${shQuote(`${option} -u ${ENDED_OPTION} 2>/dev/null; ${command}; s=$?; ${say}; ${option} ${ENDED_OPTION} "$s" 2>/dev/null; exit $s`)}`;
}

/** What tmux draws over a dead pane when it has its status; the wrapper has said it already. */
const DEAD_PANE_FORMAT = '#[reverse] #{pane_title} #[default]';

const SIZE = /^(\d{1,4})(%?)$/;

export function checkSize(value: string, option: string): string {
  const m = SIZE.exec(value.trim());
  if (!m || Number(m[1]) === 0 || (m[2] === '%' && Number(m[1]) >= 100)) {
    throw new DaedalusError('INVALID_INPUT', `${option} "${value}" is not a size`, `give columns (e.g. 90) or a share of the window (e.g. 35%)`);
  }
  return value.trim();
}

const onPath = (name: string, path: string | undefined) => resolveExecutable(name, path) !== null;

/** lazygit when installed, else tig, else a live `git log --graph` of the runs' branches. */
export function gitViewer(path = process.env.PATH): string {
  if (onPath('lazygit', path)) return 'lazygit';
  if (onPath('tig', path)) return 'tig --all';
  return `sh -c 'while :; do clear; git --no-pager log --graph --oneline --decorate --color=always -n "$(($(tput lines 2>/dev/null || echo 12) - 1))" --branches 2>/dev/null || echo "no commits yet"; sleep 2; done'`;
}

/** The swarm's resting pane: the session needs one before any worker opens. */
const SWARM_IDLE = `sh -c 'printf "Icarus swarm: workers open here as panes.\\nStart some with: daedalus spawn N\\n"; exec tail -f /dev/null'`;

/**
 * Commands joined into one tmux invocation (`a ; b ; c`): each tmux call is a process of its own,
 * and the layout is two dozen commands — one process instead of two dozen is most of what `daedalus`
 * costs on top of tmux. An argument ending in `;` would be read as a separator: none here does.
 */
export function tmuxSequence(commands: string[][]): string[] {
  return commands.flatMap((c, i) => (i === 0 ? c : [';', ...c]));
}

export async function buildLayout(o: LayoutOptions): Promise<void> {
  const chiefWidth = checkSize(o.chiefWidth ?? '40%', '--chief-width');
  const gitHeight = checkSize(o.gitHeight ?? '25%', '--git-height');
  const size = ['-x', String(o.cols ?? 200), '-y', String(o.rows ?? 50)];
  const envArgs = Object.entries(o.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const cmds: string[][] = [];

  if (!(await hasSession(o.socket, SWARM_SESSION, o.tmux))) {
    cmds.push(['new-session', '-d', '-s', SWARM_SESSION, '-n', AGENTS_WINDOW, ...size, '-c', o.cwd, ...envArgs, SWARM_IDLE]);
    cmds.push(['select-pane', '-t', `=${SWARM_SESSION}:${AGENTS_WINDOW}.0`, '-T', 'swarm']);
    cmds.push(retileHook(SWARM_SESSION));
  }
  // Server-wide, so windows opened later (persistent agents, workers) get them too.
  for (const [k, v] of Object.entries(o.env)) cmds.push(['set-environment', '-g', k, v]);

  const win = `=${CONTROL_SESSION}:control`;
  cmds.push(['new-session', '-d', '-s', CONTROL_SESSION, '-n', 'control', ...size, '-c', o.cwd, ...envArgs, endsVisibly(PANE_TITLES[0], o.chief, o.tmux)]);
  cmds.push(['set-option', '-w', '-t', win, 'remain-on-exit', 'on']);
  cmds.push(['set-option', '-w', '-t', win, 'remain-on-exit-format', DEAD_PANE_FORMAT]);
  cmds.push(['set-option', '-w', '-t', win, 'pane-border-status', 'top']);
  cmds.push(['set-option', '-w', '-t', win, 'pane-border-format', ' #{pane_index} #{pane_title} ']);
  // The nested client is this same tmux, started with TMUX unset: otherwise tmux refuses to nest.
  const bin = o.tmux ?? 'tmux';
  // -u: the client draws in UTF-8 (pane 1 is a tmux pane, which takes it) even where no UTF-8
  // locale is set, instead of falling back to line-drawing letters.
  const nested = `env -u TMUX -u TMUX_PANE ${bin} -u -L ${o.socket} -f /dev/null attach-session -t =${SWARM_SESSION}`;
  cmds.push(['split-window', '-h', '-t', `${win}.0`, '-c', o.cwd, ...envArgs, nested]);
  cmds.push(['split-window', '-v', '-f', '-l', gitHeight, '-t', win, '-c', o.cwd, ...envArgs, endsVisibly(PANE_TITLES[2], o.git ?? gitViewer(o.env.PATH ?? process.env.PATH), o.tmux)]);
  for (const [i, title] of PANE_TITLES.entries()) cmds.push(['select-pane', '-t', `${win}.${i}`, '-T', title]);
  const keep = `resize-pane -t '${win}.0' -x ${chiefWidth} ; resize-pane -t '${win}.2' -y ${gitHeight}`;
  cmds.push(['resize-pane', '-t', `${win}.0`, '-x', chiefWidth]);
  cmds.push(['set-hook', '-t', CONTROL_SESSION, 'window-resized', keep]);
  cmds.push(['bind-key', 'R', 'respawn-pane', '-k']);
  // A person's first key in a worker's pane marks it taken over (see interceptBinding).
  cmds.push(interceptBinding());
  cmds.push(['select-pane', '-t', `${win}.0`]);
  await runTmux(o.socket, tmuxSequence(cmds), o.tmux);
}

export interface PaneInfo {
  index: number;
  id: string;
  left: number;
  top: number;
  width: number;
  height: number;
  title: string;
  dead: boolean;
  deadStatus: number | null;
  pid: number;
  command: string;
}

// tmux escapes tabs in its output, so fields are split on `|`; the title, which may hold one, comes last.
const FORMAT = `#{pane_index}|#{pane_id}|#{pane_left}|#{pane_top}|#{pane_width}|#{pane_height}|#{pane_dead}|#{?pane_dead_status,#{pane_dead_status},#{${ENDED_OPTION}}}|#{pane_pid}|#{pane_current_command}|#{pane_title}`;

/** The panes of one session's window as tmux reports them (`list-panes -F`). */
export async function listPanes(socket: string, target: string, bin?: string): Promise<PaneInfo[]> {
  const out = await runTmux(socket, ['list-panes', '-t', target, '-F', FORMAT], bin);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [index, id, left, top, width, height, dead, status, pid, command, ...title] = line.split('|');
      return {
        index: Number(index),
        id: id!,
        left: Number(left),
        top: Number(top),
        width: Number(width),
        height: Number(height),
        dead: dead === '1',
        deadStatus: status ? Number(status) : null,
        pid: Number(pid),
        command: command ?? '',
        title: title.join('|'),
      };
    });
}

/** Restarts the control plane's panes whose program ended (same command), e.g. when a person comes back with `daedalus`. */
export async function respawnDeadPanes(socket: string, bin?: string): Promise<number> {
  const panes = await listPanes(socket, `=${CONTROL_SESSION}:control`, bin);
  let n = 0;
  for (const p of panes.filter((x) => x.dead)) {
    await bestEffort(`restarting pane ${p.index}`, runTmux(socket, ['respawn-pane', '-t', p.id], bin), warnToStderr);
    n++;
  }
  return n;
}
