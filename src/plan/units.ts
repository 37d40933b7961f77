/**
 * Sizes as people write them in plans (durations are in common/). Each parser returns a number or
 * an error text that the caller prefixes with file, line and field.
 */
import { describeJs, parseFailure as bad, type Parsed } from '../common/index.js';


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
