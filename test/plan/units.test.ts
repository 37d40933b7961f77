import { describe, expect, it } from 'vitest';
import { parseSize } from '../../src/plan/index.js';

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
