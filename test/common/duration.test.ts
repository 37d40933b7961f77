import { describe, expect, it } from 'vitest';
import { ago, durationFromEnv, formatDuration, parseDuration } from '../../src/common/index.js';

const ok = (x: unknown) => {
  const r = parseDuration(x);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('durations', () => {
  it('reads the units people write, and bare numbers as seconds', () => {
    expect(ok('45s')).toBe(45_000);
    expect(ok('90m')).toBe(5_400_000);
    expect(ok('2h')).toBe(7_200_000);
    expect(ok('1h30m')).toBe(5_400_000);
    expect(ok('1h 30m')).toBe(5_400_000);
    expect(ok('500ms')).toBe(500);
    expect(ok('1.5h')).toBe(5_400_000);
    expect(ok(90)).toBe(90_000);
    expect(ok('90')).toBe(90_000);
    expect(ok(0.5)).toBe(500);
  });

  it('refuses days with a hint to write hours, and nonsense with the accepted forms', () => {
    const d = parseDuration('1d');
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.hint).toContain('8h');
    for (const bad of ['soon', '10 minutes', '5x', '', '-3s', '1h1h', true, [], -1]) expect(parseDuration(bad).ok).toBe(false);
  });

  it('formats back to the shortest exact form', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(93_600_000)).toBe('26h');
    expect(formatDuration(1_500)).toBe('1s500ms');
    expect(formatDuration(0)).toBe('0s');
  });
});

describe('the one duration formatter', () => {
  it('keeps the largest units when asked for an approximation, rounding the last one kept', () => {
    expect(formatDuration(5_400_000, { approx: 1 })).toBe('2h');
    expect(formatDuration(59_600, { approx: 1 })).toBe('1m');
    expect(formatDuration(40_000, { approx: 1 })).toBe('40s');
    expect(formatDuration(303_000, { approx: 2 })).toBe('5m3s');
    expect(formatDuration(3_725_000, { approx: 2 })).toBe('1h2m');
    expect(formatDuration(12_345, { approx: 2 })).toBe('12.3s');
    expect(formatDuration(250, { approx: 2 })).toBe('250ms');
    expect(formatDuration(-40_000, { approx: 1 })).toBe('-40s');
  });

  it('says how long ago, and reads durations from the environment with a fallback', () => {
    expect(ago(1_000, 4_000)).toBe('3s ago');
    expect(ago(0, 300_000)).toBe('5m ago');
    expect(ago(null)).toBe('');
    expect(durationFromEnv('90s', 1)).toBe(90_000);
    expect(durationFromEnv(' 2 ', 1)).toBe(2_000);
    expect(durationFromEnv('soon', 7)).toBe(7);
    expect(durationFromEnv(undefined, 7)).toBe(7);
  });
});
