/**
 * Durations and sizes as people write them in plans. Each parser returns a number or an error
 * text that the caller prefixes with file, line and field.
 */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h)/y;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string; hint: string };

const DURATION_HINT = 'write a number of seconds or a duration like 500ms, 45s, 90m, 2h or 1h30m';

/** `45s`, `90m`, `1h30m`, `500ms`, `1.5h`; a bare number means seconds. Days are refused on purpose:
 * whether `1d` is 24 hours or a working day is exactly the kind of guess an estimate must not hide. */
export function parseDuration(input: unknown): Parsed<number> {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return bad(`${String(input)} is not a valid duration`, DURATION_HINT);
    return { ok: true, value: Math.round(input * 1000) };
  }
  if (typeof input !== 'string') return bad(`expected a duration, got ${describeJs(input)}`, DURATION_HINT);
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return { ok: true, value: Math.round(Number(text) * 1000) };
  if (/^\d+(\.\d+)?\s*(d|days?|w|weeks?)$/i.test(text)) {
    return bad(`"${input}" uses days or weeks`, 'write hours instead (e.g. 8h for a working day, 24h for a calendar day)');
  }
  let total = 0;
  let pos = 0;
  const seen = new Set<string>();
  while (pos < text.length) {
    DURATION_PART.lastIndex = pos;
    const m = DURATION_PART.exec(text);
    if (!m) return bad(`"${input}" is not a duration`, DURATION_HINT);
    const unit = m[2] as string;
    if (seen.has(unit)) return bad(`"${input}" repeats the unit "${unit}"`, DURATION_HINT);
    seen.add(unit);
    total += Number(m[1]) * (DURATION_UNITS[unit] ?? 0);
    pos = DURATION_PART.lastIndex;
    while (text[pos] === ' ') pos++;
  }
  if (pos === 0) return bad(`"${input}" is not a duration`, DURATION_HINT);
  return { ok: true, value: Math.round(total) };
}

// Decimal prefixes are powers of 1000 and binary ones powers of 1024, as IEC defines them; the
// single letters (`512m`, docker style) are read as decimal too so one rule covers all of them.
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};
const SIZE_HINT = 'write a number of bytes or a size like 512MB, 300MiB or 2GiB';

export function parseSize(input: unknown): Parsed<number> {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return bad(`${String(input)} is not a valid size`, SIZE_HINT);
    return { ok: true, value: Math.round(input) };
  }
  if (typeof input !== 'string') return bad(`expected a size, got ${describeJs(input)}`, SIZE_HINT);
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(input.trim());
  const factor = m ? SIZE_UNITS[(m[2] || 'b').toLowerCase()] : undefined;
  if (!m || factor === undefined) return bad(`"${input}" is not a size`, SIZE_HINT);
  return { ok: true, value: Math.round(Number(m[1]) * factor) };
}

/** The shortest exact form: `1h30m`, `45s`, `250ms`; `0s` for zero. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return parts.join('');
}

function bad<T>(error: string, hint: string): Parsed<T> {
  return { ok: false, error, hint };
}

export function describeJs(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v}`;
}
