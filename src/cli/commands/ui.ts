import { spawn } from 'node:child_process';
import { hostname, userInfo } from 'node:os';
import { openStore, resolveScope } from '../../bus/index.js';
import { bestEffort, daedalusHome, processOutput, type Output } from '../../common/index.js';
import { checkListenHost, startDashboard } from '../../ui/index.js';

export interface UiCommandOptions {
  bus?: string;
  scope?: string;
  port?: number;
  host?: string;
  allowRemote?: boolean;
  open?: boolean;
  output?: Output;
  /** Ends the server (Ctrl-C); tests abort it. */
  signal?: AbortSignal;
  /** Called with the URL once it listens. */
  onListening?: (url: string) => void;
}

const person = () => {
  try {
    return `human:${userInfo().username}`;
  } catch {
    return 'human';
  }
};

/** Opens the URL in the desktop's browser; a machine without one just keeps the printed URL. */
function openBrowser(url: string, out: Output): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  const child = spawn(cmd as string, args as string[], { stdio: 'ignore', detached: true });
  child.on('error', () => out.err(`could not start a browser (${cmd as string}); open the URL yourself`));
  child.unref();
}

/** `daedalus ui`: the dashboard for this repository's scope, until Ctrl-C. */
export async function uiCommand(o: UiCommandOptions): Promise<void> {
  const out = o.output ?? processOutput;
  if (o.host) checkListenHost(o.host, o.allowRemote ?? false);
  const store = await openStore(o.bus);
  try {
    const scope = o.scope ?? resolveScope(process.cwd());
    const me = await store.registerInstance({ scope, role: 'observer', label: 'origin:daedalus role:dashboard', pid: process.pid, host: hostname() });
    const beat = setInterval(() => void bestEffort('dashboard heartbeat', store.heartbeat(me.id), (l) => out.err(l)), 10_000);
    try {
      const d = await startDashboard({ store, scope, home: daedalusHome(), user: person(), host: o.host, port: o.port, allowRemote: o.allowRemote, env: process.env as Record<string, string>, warn: (l) => out.err(l) });
      out.out(`dashboard for ${scope} on ${store.address}`);
      out.out(d.url);
      if (o.host && o.allowRemote) out.err('remote access allowed: the token is the only protection, and the traffic is plain HTTP');
      o.onListening?.(d.url);
      if (o.open) openBrowser(d.url, out);
      await new Promise<void>((resolve) => {
        if (o.signal?.aborted) return resolve();
        o.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      await d.close();
    } finally {
      clearInterval(beat);
      await bestEffort('leaving the bus', store.deregisterInstance(me.id, 'dashboard closed'), (l) => out.err(l));
    }
  } finally {
    await store.close();
  }
}
