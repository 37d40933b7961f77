import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bestEffort, daedalusHome, warnToStderr } from '../common/index.js';
import { builtFile, shQuote } from '../harness/index.js';
import { hasSession, runTmux, withoutTmux } from '../tmux/index.js';
import { chiefCommand, type ChiefHarness } from './chief.js';
import { buildLayout, respawnDeadPanes } from './layout.js';
import { CONTROL_SESSION, controlDir, controlSocket, SWARM_SESSION } from './names.js';

export interface ControlPlaneOptions {
  scope: string;
  /** The bus address every pane uses (resolved, never empty). */
  bus: string;
  harness?: ChiefHarness;
  /** Replaces the Daedalus agent's command (tests, or a chief of your own). */
  chiefCommand?: string;
  gitCommand?: string;
  chiefWidth?: string;
  gitHeight?: string;
  cols?: number;
  rows?: number;
  env?: NodeJS.ProcessEnv;
  tmux?: string;
}

export interface ControlPlane {
  socket: string;
  session: string;
  created: boolean;
  /** What a person types to see it. */
  attach: string;
}

/** `daedalus` as one executable file, for places that take a program and no arguments ($EDITOR). */
function writeDaedalusShim(dir: string, bus: string, sub: string, name: string): string {
  const file = join(dir, name);
  const cli = builtFile('cli/main.js');
  writeFileSync(file, `#!/bin/sh\nexec ${shQuote(process.execPath)} ${shQuote(cli)} --bus ${shQuote(bus)} ${sub} "$@"\n`, { mode: 0o700 });
  return file;
}

export function attachCommand(socket: string): string {
  return `tmux -L ${socket} attach -t =${CONTROL_SESSION}`;
}

/** Builds the control plane of this repository, or finds the one already there (`fresh`: ends it first). */
export async function ensureControlPlane(o: ControlPlaneOptions, fresh = false): Promise<ControlPlane> {
  const env = o.env ?? process.env;
  const socket = controlSocket(o.scope, env);
  const result = { socket, session: CONTROL_SESSION, attach: attachCommand(socket) };
  if (await hasSession(socket, CONTROL_SESSION, o.tmux)) {
    if (!fresh) {
      await respawnDeadPanes(socket, o.tmux);
      return { ...result, created: false };
    }
    await bestEffort('ending the old control plane', runTmux(socket, ['kill-server'], o.tmux), warnToStderr);
  }
  const dir = controlDir(socket, env);
  mkdirSync(dir, { recursive: true });
  const editor = writeDaedalusShim(dir, o.bus, 'editor-hook', 'editor.sh');
  const chief = o.chiefCommand ?? chiefCommand({ harness: o.harness ?? 'claude', scope: o.scope, bus: o.bus, dir, editor, env });
  const paneEnv: Record<string, string> = {
    DAEDALUS_BUS: o.bus,
    DAEDALUS_SCOPE: o.scope,
    DAEDALUS_HOME: daedalusHome(env),
    DAEDALUS_CONTROL_SOCKET: socket,
    // A worker started here opens its agents' panes in the swarm session of this server.
    DAEDALUS_TMUX_SOCKET: socket,
    DAEDALUS_TMUX_SESSION: SWARM_SESSION,
  };
  if (env.PATH) paneEnv.PATH = env.PATH;
  await buildLayout({
    socket,
    cwd: o.scope,
    chief,
    git: o.gitCommand,
    chiefWidth: o.chiefWidth,
    gitHeight: o.gitHeight,
    cols: o.cols,
    rows: o.rows,
    env: paneEnv,
    tmux: o.tmux,
  });
  return { ...result, created: true };
}

/** Attaches this terminal to the control plane until the person detaches; resolves with tmux's exit code. */
export function attachControlPlane(socket: string, bin = 'tmux'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['-L', socket, '-f', '/dev/null', 'attach-session', '-t', `=${CONTROL_SESSION}`], { stdio: 'inherit', env: withoutTmux(process.env) });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}
