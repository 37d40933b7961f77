import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** A private tmux server name for one test; `kill()` ends it (and every pane on it). */
export function privateSocket(prefix = 'dtest'): { socket: string; tmux(args: string[]): string; kill(): void } {
  const socket = `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const tmux = (args: string[]) => {
    const env = { ...process.env };
    delete env.TMUX;
    return execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env }).trim();
  };
  return {
    socket,
    tmux,
    kill: () => {
      try {
        tmux(['kill-server']);
      } catch {
        // already gone
      }
    },
  };
}

/**
 * Waits until check() returns a value (not undefined/false), re-checking on a short tick. The
 * deadline only turns a hang into a failure with the last value seen; nothing is asserted about time.
 */
export async function eventually<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, deadlineMs = 60_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`never happened: ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
