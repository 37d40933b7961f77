import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A worker of bench/workers by name, or any worker script by absolute path (a baseline's). */
const workerPath = (name: string) => (name.startsWith('/') ? name : new URL(`../workers/${name}`, import.meta.url).pathname);

interface Started {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<Record<string, unknown>>;
}

/**
 * Starts a worker script that prints `ready` once connected, waits for `go` on stdin, and prints
 * one JSON line with its figures before exiting. Start-up cost stays out of the measurement.
 */
export function startWorker(script: string, args: string[]): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', workerPath(script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const result = new Promise<Record<string, unknown>>((resolve, reject) => {
    let last: Record<string, unknown> | null = null;
    lines.on('line', (line) => {
      if (line === 'ready') onReady();
      else if (line.startsWith('{')) last = JSON.parse(line) as Record<string, unknown>;
    });
    child.on('exit', (code) => (code === 0 && last ? resolve(last) : reject(new Error(`${script} exited ${code}`))));
  });
  return { child, ready, result };
}

/** Runs n workers from one `go` and returns wall time and their results. */
export async function runWorkers(script: string, n: number, args: string[]): Promise<{ ms: number; results: Record<string, unknown>[] }> {
  const workers = Array.from({ length: n }, () => startWorker(script, args));
  await Promise.all(workers.map((w) => w.ready));
  const t0 = performance.now();
  for (const w of workers) w.child.stdin!.write('go\n');
  const results = await Promise.all(workers.map((w) => w.result));
  return { ms: performance.now() - t0, results };
}

/** For worker scripts: announce readiness and wait for the parent's go. */
export function readyThenGo(): Promise<void> {
  process.stdout.write('ready\n');
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (l) => {
      if (l === 'go') {
        rl.close();
        // An open stdin pipe would keep the worker alive after its work is done.
        process.stdin.destroy();
        resolve();
      }
    });
  });
}
