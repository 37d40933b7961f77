import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const COMMON = fileURLToPath(new URL('../../dist/common/index.js', import.meta.url));

/** The new space a busy allocator ends with, in MB, in a fresh Node that capped it (or was told not to). */
function newSpaceAfterChurn(env: Record<string, string>): number {
  const code = `
    import v8 from 'node:v8';
    const { keepHeapLean } = await import(${JSON.stringify(COMMON)});
    keepHeapLean();
    let keep = [];
    for (let i = 0; i < 2e6; i++) {
      keep.push({ a: i, b: 'x' + i, c: [i] });
      if (keep.length > 20000) keep = [];
    }
    const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
    console.log(s.space_size / 2 ** 20);
  `;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, ...env }, encoding: 'utf8' }).trim());
}

describe('the lean heap of a long-lived supervisor', () => {
  it('keeps the young generation at its starting size however briskly the process allocates', () => {
    expect(newSpaceAfterChurn({})).toBeLessThanOrEqual(4);
  });

  it('grows as V8 would have it when DAEDALUS_LEAN_HEAP=off', () => {
    expect(newSpaceAfterChurn({ DAEDALUS_LEAN_HEAP: 'off' })).toBeGreaterThan(4);
  });
});
