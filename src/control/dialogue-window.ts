import { builtFile, shQuote } from '../harness/index.js';
import { hasSession, runTmux } from '../tmux/index.js';
import { CONTROL_SESSION } from './names.js';

/**
 * `daedalus seed dialogue` in the control plane: the conversation between Daedalus and a nascent
 * Icarus runs in a window of its own (`dialogue`), where a person can watch it. The window stays
 * when it ends (remain-on-exit), so the conversation can be read to the last line.
 */
export async function openDialogueWindow(o: { socket: string; cwd: string; args: string[]; tmux?: string }): Promise<string | null> {
  if (!(await hasSession(o.socket, CONTROL_SESSION, o.tmux))) return null;
  const command = [process.execPath, builtFile('cli/main.js'), 'seed', 'dialogue', '--here', ...o.args].map(shQuote).join(' ');
  await runTmux(o.socket, ['kill-window', '-t', `=${CONTROL_SESSION}:dialogue`], o.tmux).catch(() => undefined);
  await runTmux(o.socket, ['new-window', '-t', `=${CONTROL_SESSION}:`, '-n', 'dialogue', '-c', o.cwd, command, ';', 'set-option', '-w', '-t', `=${CONTROL_SESSION}:dialogue`, 'remain-on-exit', 'on'], o.tmux);
  return 'dialogue';
}
