import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/**
 * How Daedalus starts its git commands and agent groups. Node forks without vfork and copies the
 * whole parent's page tables, so every spawn costs the parent CPU in proportion to its memory and
 * blocks its event loop meanwhile: in a supervisor at 8 agents that was a third of its CPU. A
 * long-lived supervisor therefore hands its spawns to a small helper process (spawn-helper.ts)
 * with `useSpawnHelper()`; everything else spawns directly. Both behave the same to the caller.
 */
export interface Spawner {
  /** Runs a command to its end; rejects with a SpawnError only when it could not start. */
  run(file: string, args: readonly string[], options: RunOptions): Promise<RunOutcome>;
  /** Starts a command leading its own process group, its stdin a pipe held open until it exits. */
  group(file: string, args: readonly string[], options: GroupOptions): Promise<GroupChild>;
}

export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  /** Written to stdin, then stdin is closed; without it stdin is /dev/null. */
  input?: string;
  /** Aborting sends the command SIGTERM. */
  signal?: AbortSignal;
}

export interface RunOutcome {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GroupOptions {
  cwd: string;
  env: Record<string, string>;
  /** Every chunk of stdout (1) and stderr (2), in order, from the first byte. */
  onOutput: (chunk: Buffer, stream: 1 | 2) => void;
}

export interface GroupChild {
  /** The leader's pid, which is also the group's id. */
  readonly pid: number;
  /** When the leader exited (its stdin pipe is closed then). */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** When its output pipes closed too: nothing of it writes any more. */
  readonly closed: Promise<void>;
  hasExited(): boolean;
}

/** A command that could not start: `code` is the errno name (ENOENT for a missing file or cwd). */
export class SpawnError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

const ignore = () => undefined;

/** The plain path: child_process in this process. */
export const directSpawner: Spawner = {
  run(file, args, { cwd, env, input, signal }) {
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout!.on('data', (b: Buffer) => out.push(b));
      child.stderr!.on('data', (b: Buffer) => err.push(b));
      const onAbort = () => child.kill('SIGTERM');
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (e: NodeJS.ErrnoException) => reject(new SpawnError(e.message, e.code)));
      child.on('close', (code, sig) => {
        signal?.removeEventListener('abort', onAbort);
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, signal: sig });
      });
      if (child.stdin) {
        // A command that exits early closes stdin; the EPIPE is not ours to report.
        child.stdin.on('error', ignore);
        child.stdin.end(input);
      }
    });
  },

  group(file, args, { cwd, env, onOutput }) {
    const child = spawn(file, args, { cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', ignore);
    child.stdout.on('data', (b: Buffer) => onOutput(b, 1));
    child.stderr.on('data', (b: Buffer) => onOutput(b, 2));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => {
        child.stdin.end();
        resolve({ code, signal });
      }),
    );
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    return new Promise((resolve, reject) => {
      child.once('error', (e: NodeJS.ErrnoException) => reject(new SpawnError(e.message, e.code)));
      child.once('spawn', () => resolve({ pid: child.pid!, exit, closed, hasExited: () => child.exitCode !== null || child.signalCode !== null }));
    });
  },
};

/** What the supervisor asks its spawn helper, one JSON line each. */
export type HelperRequest =
  | { op: 'run'; id: number; file: string; args: string[]; cwd: string; env: Record<string, string>; input?: string }
  | { op: 'group'; id: number; file: string; args: string[]; cwd: string; env: Record<string, string> }
  | { op: 'kill'; id: number };

/** What the helper answers, one JSON line each, tagged with the request's id. */
export type HelperReply =
  | { id: number; ev: 'error'; code?: string; message: string }
  | { id: number; ev: 'done'; code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }
  | { id: number; ev: 'spawn'; pid: number }
  | { id: number; ev: 'out'; s: 1 | 2; b: string }
  | { id: number; ev: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { id: number; ev: 'close' };

/** Calls fn with each JSON line of a stream, parsed; both ends of the helper's pipes read this way. */
export function onJsonLines<T>(stream: Readable, fn: (message: T) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line !== '') fn(JSON.parse(line) as T);
    }
  });
}

/** The helper's end of one request: fed every reply with its id, and told when the helper died. */
interface Pending {
  reply(r: HelperReply): void;
  helperGone(): void;
}

/** Talks to one helper process, started on first use and again if it died. */
export class HelperSpawner implements Spawner {
  private helper: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly script: string) {}

  /** The running helper's pid, if one runs: for diagnostics, and for tests that kill it. */
  get pid(): number | undefined {
    return this.helper?.pid;
  }

  /** Lets the helper go: it exits once its stdin closes, as when the supervisor dies. */
  close(): void {
    this.helper?.stdin?.end();
  }

  run(file: string, args: readonly string[], { cwd, env, input, signal }: RunOptions): Promise<RunOutcome> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const onAbort = () => this.send({ op: 'kill', id });
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        this.settle(id);
      };
      this.track(id, {
        reply: (r) => {
          done();
          if (r.ev === 'done') resolve({ stdout: r.stdout, stderr: r.stderr, code: r.code, signal: r.signal });
          else if (r.ev === 'error') reject(new SpawnError(r.message, r.code));
        },
        helperGone: () => {
          done();
          reject(new SpawnError(`the spawn helper exited while ${file} ${args[0] ?? ''} ran`, 'EHELPER'));
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.send({ op: 'run', id, file, args: [...args], cwd, env, ...(input === undefined ? {} : { input }) });
    });
  }

  group(file: string, args: readonly string[], { cwd, env, onOutput }: GroupOptions): Promise<GroupChild> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      let ended: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let exited!: (e: { code: number | null; signal: NodeJS.Signals | null }) => void;
      let closed!: () => void;
      const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (exited = r));
      const closedP = new Promise<void>((r) => (closed = r));
      const end = (e: { code: number | null; signal: NodeJS.Signals | null }) => {
        ended ??= e;
        exited(ended);
      };
      this.track(id, {
        reply: (r) => {
          if (r.ev === 'spawn') resolve({ pid: r.pid, exit, closed: closedP, hasExited: () => ended !== undefined });
          else if (r.ev === 'out') onOutput(Buffer.from(r.b, 'base64'), r.s);
          else if (r.ev === 'exit') end({ code: r.code, signal: r.signal });
          else if (r.ev === 'close') {
            this.settle(id);
            closed();
          } else if (r.ev === 'error') {
            this.settle(id);
            reject(new SpawnError(r.message, r.code));
          }
        },
        // Its guard lost its pipe with the helper and is killing the group; the leader is as good as gone.
        helperGone: () => {
          this.settle(id);
          end({ code: null, signal: 'SIGKILL' });
          closed();
          reject(new SpawnError(`the spawn helper exited while starting ${file}`, 'EHELPER'));
        },
      });
      this.send({ op: 'group', id, file, args: [...args], cwd, env });
    });
  }

  private track(id: number, p: Pending): void {
    this.pending.set(id, p);
    if (this.pending.size === 1) this.hold(true);
  }

  private settle(id: number): void {
    if (this.pending.delete(id) && this.pending.size === 0) this.hold(false);
  }

  /** The helper keeps this process alive only while it has work in flight. */
  private hold(on: boolean): void {
    const h = this.helper;
    if (!h) return;
    for (const handle of [h, h.stdin as unknown as { ref(): void; unref(): void }, h.stdout as unknown as { ref(): void; unref(): void }]) {
      if (on) handle.ref();
      else handle.unref();
    }
  }

  private send(message: HelperRequest): void {
    this.start().stdin!.write(`${JSON.stringify(message)}\n`);
  }

  private start(): ChildProcess {
    if (this.helper) return this.helper;
    const helper = spawn(process.execPath, [this.script], { stdio: ['pipe', 'pipe', 'inherit'], env: process.env });
    this.helper = helper;
    (helper.stdin as Writable).on('error', ignore);
    onJsonLines(helper.stdout as Readable, (r: HelperReply) => this.pending.get(r.id)?.reply(r));
    const gone = () => {
      if (this.helper !== helper) return;
      this.helper = undefined;
      for (const p of [...this.pending.values()]) p.helperGone();
    };
    helper.on('error', gone);
    helper.on('close', gone);
    if (this.pending.size === 0) this.hold(false);
    return helper;
  }
}

let active: Spawner = directSpawner;

/** The spawner every git command and agent group goes through. */
export function processSpawner(): Spawner {
  return active;
}

/**
 * Sends this process's spawns through a helper from now on; for long-lived supervisors. Off with
 * DAEDALUS_SPAWN_HELPER=off, and a no-op where the helper was not built (running from sources).
 */
export function useSpawnHelper(): void {
  if (active !== directSpawner || process.env.DAEDALUS_SPAWN_HELPER === 'off') return;
  const script = helperScript();
  if (script) active = new HelperSpawner(script);
}

function helperScript(): string | undefined {
  const here = new URL('.', import.meta.url);
  const built = here.pathname.includes('/dist/') ? new URL('spawn-helper.js', here) : new URL('../../dist/common/spawn-helper.js', here);
  const path = fileURLToPath(built);
  return existsSync(path) ? path : undefined;
}
