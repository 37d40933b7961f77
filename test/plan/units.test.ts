import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseSize } from '../../src/plan/index.js';

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

describe('sizes', () => {
  const size = (x: unknown) => {
    const r = parseSize(x);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };
  it('reads decimal and binary units', () => {
    expect(size('512MB')).toBe(512e6);
    expect(size('2GiB')).toBe(2 * 1024 ** 3);
    expect(size('300MiB')).toBe(300 * 1024 ** 2);
    expect(size('1.5GB')).toBe(1.5e9);
    expect(size('512m')).toBe(512e6);
    expect(size(1024)).toBe(1024);
  });
  it('refuses unknown units', () => {
    for (const bad of ['12 parsecs', 'lots', '5XB', -5, {}]) expect(parseSize(bad).ok).toBe(false);
  });
});
