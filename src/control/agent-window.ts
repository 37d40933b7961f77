import { builtFile, shQuote } from '../harness/index.js';
import { hasSession, runTmux } from '../tmux/index.js';
import { AGENTS_SESSION } from './names.js';

/**
 * Each persistent agent runs in its own window of the control plane's server (session
 * `daedalus-agents`), under a loop that starts its runner again when it dies — the runner then
 * resumes the agent's session from the bus. `remain-on-exit` is off here: a window that ends was
 * stopped on purpose.
 */
export async function openAgentWindow(o: { socket: string; name: string; cwd: string; bus: string; env: Record<string, string>; tmux?: string }): Promise<void> {
  const cli = `${shQuote(process.execPath)} ${shQuote(builtFile('cli/main.js'))} --bus ${shQuote(o.bus)}`;
  const loop = `while :; do ${cli} agents serve ${shQuote(o.name)}; s=$?; [ $s -eq 0 ] && break; echo "runner ended ($s); restarting in 2 s"; sleep 2; done`;
  const envArgs = Object.entries(o.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const t = (args: string[]) => runTmux(o.socket, args, o.tmux);
  if (!(await hasSession(o.socket, AGENTS_SESSION, o.tmux))) {
    await t(['new-session', '-d', '-s', AGENTS_SESSION, '-n', o.name, '-x', '160', '-y', '40', '-c', o.cwd, ...envArgs, 'sh', '-c', loop]);
    return;
  }
  const exists = await t(['list-windows', '-t', `=${AGENTS_SESSION}`, '-F', '#{window_name}']).then((out) => out.split('\n').includes(o.name));
  if (exists) return;
  await t(['new-window', '-d', '-t', `=${AGENTS_SESSION}`, '-n', o.name, '-c', o.cwd, ...envArgs, 'sh', '-c', loop]);
}

export async function closeAgentWindow(o: { socket: string; name: string; tmux?: string }): Promise<boolean> {
  return runTmux(o.socket, ['kill-window', '-t', `=${AGENTS_SESSION}:${o.name}`], o.tmux).then(
    () => true,
    () => false,
  );
}
