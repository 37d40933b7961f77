/**
 * Durations: parsed as people write them (plans, environment variables) and printed for people.
 * One formatter for every view, so a timeout reads the same in a prompt, a report and an error.
 */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h)/y;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string; hint: string };

const DURATION_HINT = 'write a number of seconds or a duration like 500ms, 45s, 90m, 2h or 1h30m';

export function parseFailure<T>(error: string, hint: string): Parsed<T> {
  return { ok: false, error, hint };
}

export function describeJs(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v}`;
}

/** `45s`, `90m`, `1h30m`, `500ms`, `1.5h`; a bare number means seconds. Days are refused on purpose:
 * whether `1d` is 24 hours or a working day is exactly the kind of guess an estimate must not hide. */
export function parseDuration(input: unknown): Parsed<number> {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return parseFailure(`${String(input)} is not a valid duration`, DURATION_HINT);
    return { ok: true, value: Math.round(input * 1000) };
  }
  if (typeof input !== 'string') return parseFailure(`expected a duration, got ${describeJs(input)}`, DURATION_HINT);
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return { ok: true, value: Math.round(Number(text) * 1000) };
  if (/^\d+(\.\d+)?\s*(d|days?|w|weeks?)$/i.test(text)) {
    return parseFailure(`"${input}" uses days or weeks`, 'write hours instead (e.g. 8h for a working day, 24h for a calendar day)');
  }
  let total = 0;
  let pos = 0;
  const seen = new Set<string>();
  while (pos < text.length) {
    DURATION_PART.lastIndex = pos;
    const m = DURATION_PART.exec(text);
    if (!m) return parseFailure(`"${input}" is not a duration`, DURATION_HINT);
    const unit = m[2] as string;
    if (seen.has(unit)) return parseFailure(`"${input}" repeats the unit "${unit}"`, DURATION_HINT);
    seen.add(unit);
    total += Number(m[1]) * (DURATION_UNITS[unit] ?? 0);
    pos = DURATION_PART.lastIndex;
    while (text[pos] === ' ') pos++;
  }
  if (pos === 0) return parseFailure(`"${input}" is not a duration`, DURATION_HINT);
  return { ok: true, value: Math.round(total) };
}

/** A duration from an environment variable (a plan duration; a bare number is seconds), or the fallback. */
export function durationFromEnv(raw: string | undefined, fallbackMs: number): number {
  const text = raw?.trim();
  if (!text) return fallbackMs;
  const parsed = parseDuration(text);
  return parsed.ok ? parsed.value : fallbackMs;
}

const UNITS = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
] as const;

export interface FormatOptions {
  /**
   * Keep only this many of the largest units, the last one rounded: `approx: 1` gives `9m`, `40s`;
   * `approx: 2` gives `5m3s`, `1h2m`, and seconds with one decimal under a minute (`12.3s`).
   * Absent: the exact shortest form (`1h30m`, `45s`, `250ms`).
   */
  approx?: 1 | 2;
}

/** The one duration formatter: `1h30m`, `45s`, `250ms`; `0s` for zero. */
export function formatDuration(ms: number, opts: FormatOptions = {}): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms, opts)}`;
  if (opts.approx === 2 && ms < 60_000 && ms >= 1000) return `${(Math.round(ms / 100) / 10).toFixed(1)}s`;
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  const first = UNITS.findIndex(([, size]) => rest >= size);
  const keep = opts.approx ?? UNITS.length;
  const last = Math.min(UNITS.length - 1, first + keep - 1);
  // Rounding happens once, at the smallest unit kept: 59.6s with one unit is 1m, not 60s.
  const lastSize = UNITS[last]![1];
  if (opts.approx !== undefined) rest = Math.round(rest / lastSize) * lastSize;
  const parts: string[] = [];
  for (const [unit, size] of UNITS.slice(UNITS.findIndex(([, s]) => rest >= s), last + 1)) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.slice(0, keep).join('') || '0s';
}

/** `3s ago`, `5m ago`: last heartbeats at a glance. */
export function ago(at: number | null, now = Date.now()): string {
  if (at === null) return '';
  return `${formatDuration(Math.max(0, now - at), { approx: 1 })} ago`;
}
