import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type Store } from '../bus/index.js';
import { killGroup, spawnGroup } from './spawn.js';
import { eventHub } from './event-hub.js';
import { bestEffort, describeError, durationFromEnv, warnToStderr } from '../common/index.js';
import type { AgentProcess, ProcessEnd } from './types.js';
import { shQuote, type AgentLaunch } from './launch.js';
import { logPane, openPane, stripAnsi, type Pane } from '../tmux/index.js';

/**
 * An agent in a tmux pane, as an AgentProcess: the pane's process group is the agent's, a small
 * watcher under the usual process-group guard ties the pane's life to the supervisor's, and the
 * exit status comes from a file the launcher script writes. Completion still comes through the
 * bus: once the task has left this attempt's hands the pane is closed, after a short linger so a
 * person watching can read the last screen.
 */

export interface PaneCommand {
  command: string;
  args: string[];
  /**
   * Appended after `--` as one argument `"$(cat FILE)"`: the prompt is handed over as a file, never
   * typed in, and `--` keeps a variadic option before it from taking it.
   */
  promptFile?: string;
  env: Record<string, string>;
}

const TAIL_BYTES = 4000;
const POLL_MS = 250;

/**
 * The pane runs this: it waits for the go file (so the pane's output is logged from its first
 * byte), sets the agent's environment — only what differs from the tmux server's, which is ours —
 * runs the command and writes its exit status for us.
 */
function launcherScript(spec: AgentLaunch, cmd: PaneCommand, files: { status: string; go: string }): string {
  const lines = ['#!/bin/sh', '# Written by daedalus for one interactive agent attempt.', `while [ ! -e ${shQuote(files.go)} ]; do sleep 0.02; done`, `cd ${shQuote(spec.worktree)} || exit 97`];
  const valid = (k: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k);
  for (const k of Object.keys(process.env)) if (valid(k) && !(k in cmd.env)) lines.push(`unset ${k}`);
  for (const [k, v] of Object.entries(cmd.env)) if (valid(k) && process.env[k] !== v) lines.push(`export ${k}=${shQuote(v)}`);
  const words = [cmd.command, ...cmd.args].map(shQuote);
  if (cmd.promptFile) words.push('--', `"$(cat ${shQuote(cmd.promptFile)})"`);
  const tmp = shQuote(`${files.status}.tmp`);
  lines.push(words.join(' '), 'status=$?', `echo "$status" > ${tmp} && mv ${tmp} ${shQuote(files.status)}`, 'exit "$status"');
  return `${lines.join('\n')}\n`;
}

/**
 * While the pane lives; on SIGTERM (the guard's, when the supervisor goes) it takes the pane's
 * group down. Its output goes nowhere: a write to the dead supervisor's pipe would end it by
 * SIGPIPE before it could act.
 */
const WATCHER = `exec >/dev/null 2>&1
trap '' PIPE HUP
pane=$1
trap 'kill -TERM -"$pane"; sleep 2; kill -KILL -"$pane"; exit 0' TERM
while kill -0 "$pane"; do sleep 0.2; done`;

function readTail(file: string): string {
  if (!existsSync(file)) return '';
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(size, TAIL_BYTES * 4));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return stripAnsi(buf.toString('utf8')).split('\n').map((l) => l.trimEnd()).filter(Boolean).join('\n').slice(-TAIL_BYTES);
  } finally {
    closeSync(fd);
  }
}

/** Resolves when this attempt no longer holds its task (completed, failed, taken away), or never. */
async function attemptSettled(store: Store, spec: AgentLaunch, stop: AbortSignal): Promise<boolean> {
  const scope = spec.env.DAEDALUS_SCOPE ?? '';
  let cursor = 0;
  while (!stop.aborted) {
    const t = await store.getTask(spec.taskId);
    if (!t || t.attempt !== spec.attempt || (t.state !== 'leased' && t.state !== 'running')) return true;
    const r = await store.waitForEvents(scope, { after: cursor, taskIds: [spec.taskId], types: ['task.'], timeoutMs: 30_000, signal: stop });
    cursor = r.cursor;
  }
  return false;
}

/** DAEDALUS_INTERACTIVE_LINGER: how long a finished interactive agent stays on screen (a plan duration; default 10s). */
function lingerMs(env: Record<string, string>): number {
  return durationFromEnv(env.DAEDALUS_INTERACTIVE_LINGER, 10_000);
}

export async function launchInPane(spec: AgentLaunch, cmd: PaneCommand): Promise<AgentProcess> {
  const statusFile = join(spec.attemptDir, 'exit-status');
  const logFile = join(spec.attemptDir, 'output.log');
  const script = join(spec.attemptDir, 'launch.sh');
  const goFile = join(spec.attemptDir, 'go');
  const interceptFile = join(spec.attemptDir, 'intercepted');
  writeFileSync(script, launcherScript(spec, cmd, { status: statusFile, go: goFile }), { mode: 0o700 });
  writeFileSync(logFile, '');
  const startedAt = Date.now();
  const pane: Pane = await openPane({ runId: spec.runId, title: `${spec.pkg.id} #${spec.attempt}`, cwd: spec.worktree, command: `sh ${shQuote(script)}`, interceptFile });
  await bestEffort(`logging pane ${pane.paneId}`, logPane(pane, logFile), warnToStderr);
  writeFileSync(goFile, '');
  writeFileSync(join(spec.attemptDir, 'pane.json'), JSON.stringify({ ...pane, attach: `tmux -L ${pane.socket} attach -t ${pane.session}` }));
  const watcher = await spawnGroup('/bin/sh', ['-c', WATCHER, 'daedalus-pane-watch', String(pane.pid)], { cwd: spec.worktree, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });

  const { emit, onEvent } = eventHub();
  // Screen activity is a sign of life for the idle timeout, nothing more.
  let seen = 0;
  // The file is made by the pane's key binding at a person's first keystroke (see interceptBinding).
  let intercepted = false;
  const activity = setInterval(() => {
    if (!intercepted && existsSync(interceptFile)) {
      intercepted = true;
      emit({ kind: 'intercepted', pane: pane.paneId });
    }
    const size = existsSync(logFile) ? statSync(logFile).size : 0;
    if (size > seen) {
      seen = size;
      emit({ kind: 'output', text: readTail(logFile).split('\n').at(-1) ?? '' });
    }
  }, POLL_MS);

  let killedBy: NodeJS.Signals | null = null;
  const exited: Promise<ProcessEnd> = watcher.exited.then(() => {
    clearInterval(activity);
    const raw = existsSync(statusFile) ? readFileSync(statusFile, 'utf8').trim() : '';
    const code = raw === '' ? null : Number(raw);
    return {
      exitCode: code,
      signal: code === null ? (killedBy ?? 'SIGKILL') : null,
      durationMs: Date.now() - startedAt,
      tail: readTail(logFile),
    };
  });

  const terminate = async (graceMs = 5000): Promise<ProcessEnd> => {
    killedBy ??= 'SIGTERM';
    killGroup(pane.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      killedBy = 'SIGKILL';
      killGroup(pane.pid, 'SIGKILL');
    }, graceMs);
    const end = await exited;
    clearTimeout(timer);
    return end;
  };

  // An interactive CLI waits for its person after the work is done; the bus says when it is.
  const bus = spec.env.DAEDALUS_BUS;
  if (bus) {
    const stop = new AbortController();
    void exited.then(() => stop.abort());
    void (async () => {
      const store = await openStore(bus);
      try {
        if (await attemptSettled(store, spec, stop.signal)) {
          await new Promise((r) => setTimeout(r, lingerMs(spec.env)));
          if (!stop.signal.aborted) await terminate();
        }
      } finally {
        await store.close();
      }
    })().catch((e: unknown) => warnToStderr(`watching the bus for the end of ${spec.pkg.id}: ${describeError(e)}`));
  }

  return { pgid: pane.pid, startedAt, onEvent, exited, terminate };
}
