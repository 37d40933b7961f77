import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('../bus/fixtures/bus-worker.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url)); // where `--import tsx` finds tsx

/** A bus worker process (test/bus/fixtures/bus-worker.ts) and its JSON-line output. */
export class BusWorker {
  readonly child: ChildProcess;
  private readonly lines: unknown[] = [];
  private waiter: (() => void) | null = null;
  private stderr = '';
  /** What the worker wrote to stderr so far. */
  get errors(): string {
    return this.stderr;
  }
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: Record<string, unknown>) {
    this.child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(args)], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(JSON.parse(line));
      this.waiter?.();
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = once(this.child, 'exit').then(([code, signal]) => {
      this.waiter?.();
      return { code: code as number | null, signal: signal as NodeJS.Signals | null };
    });
  }

  /** The next line the worker prints; fails with its stderr if it exits or takes too long first. */
  async next<T>(timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.child.exitCode !== null || this.child.signalCode !== null || Date.now() > deadline) {
        throw new Error(`worker printed nothing (exit ${this.child.exitCode ?? this.child.signalCode}): ${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 200);
      });
      this.waiter = null;
    }
    return this.lines.shift() as T;
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Ends the worker however it is doing; safe to call after it exited. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}
