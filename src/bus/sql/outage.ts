import { DaedalusError, parseDuration } from '../../common/index.js';

export const BUS_RETRY_ENV = 'DAEDALUS_BUS_RETRY';
const DEFAULT_BUS_RETRY_MS = 60_000;

/**
 * How long a bus fault that passes by itself (a database server restarting, a full disk someone
 * clears, a lock another process holds) is waited out before the operation fails with
 * BUS_UNAVAILABLE: DAEDALUS_BUS_RETRY, a duration, 60 s unless set.
 */
export function busRetryMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[BUS_RETRY_ENV]?.trim();
  if (!raw) return DEFAULT_BUS_RETRY_MS;
  const parsed = parseDuration(raw);
  if (!parsed.ok) {
    throw new DaedalusError('INVALID_INPUT', `${BUS_RETRY_ENV}=${raw}: ${parsed.error}`, `unset ${BUS_RETRY_ENV} for the default (60s), or give e.g. 2m`);
  }
  return parsed.value;
}

const FIRST_PAUSE_MS = 25;
const LONGEST_PAUSE_MS = 1000;

/**
 * One operation's wait through a fault: pauses that double from 25 ms to 1 s, jittered so the
 * processes of a run do not all knock at the same instant, until the budget is spent. The clock
 * and the sleep are injectable, so its arithmetic is tested without waiting.
 */
export class Outage {
  private readonly since: number;
  private tries = 0;

  constructor(
    readonly budgetMs: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.since = now();
  }

  get elapsedMs(): number {
    return this.now() - this.since;
  }

  /** Waits before the next try; false, without waiting, once the budget is spent. */
  async pause(): Promise<boolean> {
    const left = this.budgetMs - this.elapsedMs;
    if (left <= 0) return false;
    const cap = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** Math.min(this.tries, 10));
    this.tries++;
    await this.sleep(Math.min(left, cap / 2 + Math.random() * (cap / 2)));
    return true;
  }
}
