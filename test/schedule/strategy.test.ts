import { describe, expect, it } from 'vitest';
import { resolveEstimates } from '../../src/plan/index.js';
import type { HistoryEntry } from '../../src/schedule/index.js';
import { concurrencyFor, historyEstimates, historyFallback, mayStart } from '../../src/schedule/index.js';
import { checkText } from '../plan/helpers.js';

const MiB = 2 ** 20;
const entry = (type: string, outcome: string, durationMs: number, at: number, extra: Partial<HistoryEntry> = {}): HistoryEntry => ({ type, outcome, durationMs, at, ...extra });

describe('concurrencyFor', () => {
  it('parallel and sequential ignore the gate; auto follows it up to max_agents', () => {
    expect(concurrencyFor('parallel', 4, 1).total).toBe(4);
    expect(concurrencyFor('sequential', 4, 0).total).toBe(1);
    expect(concurrencyFor('auto', 4, 2).total).toBe(2);
    expect(concurrencyFor('auto', 4, Infinity).total).toBe(4);
    expect(concurrencyFor('auto', 4, 0).total).toBe(0);
  });

  it('adaptive limits a type that keeps failing, and only with enough history', () => {
    const failing = [1, 2, 3, 4].map((i) => entry('test', i % 2 ? 'failure' : 'timeout', 1000, i));
    const fine = [1, 2, 3].map((i) => entry('implementation', 'success', 1000, i));
    const c = concurrencyFor('adaptive', 4, 4, [...failing, ...fine]);
    expect(c.total).toBe(4);
    expect(c.perType).toEqual({ test: 1 });
    expect(c.reasons.join(' ')).toContain('test: 4 of the last 4 failed');
    expect(concurrencyFor('adaptive', 4, 4, failing.slice(0, 2)).perType).toEqual({});
  });

  it('adaptive halves a type with some failures, ignores cancellations, and looks at the newest entries only', () => {
    const some = [entry('fix', 'failure', 1, 1), entry('fix', 'success', 1, 2), entry('fix', 'success', 1, 3), entry('fix', 'cancelled', 1, 4), entry('fix', 'success', 1, 5)];
    expect(concurrencyFor('adaptive', 4, 4, some).perType).toEqual({ fix: 2 });
    const old = [1, 2, 3].map((i) => entry('fix', 'failure', 1, i));
    const recent = [10, 11, 12].map((i) => entry('fix', 'success', 1, i));
    expect(concurrencyFor('adaptive', 4, 4, [...old, ...recent], { window: 3 }).perType).toEqual({});
  });

  it('adaptive fits memory-hungry and CPU-hungry types into what the machine has', () => {
    const heavy = [1, 2, 3].map((i) => entry('test', 'success', 10_000, i, { peakRssBytes: 900 * MiB, cpuMs: 20_000 }));
    expect(concurrencyFor('adaptive', 8, 8, heavy, { memoryBytes: 2000 * MiB }).perType).toEqual({ test: 2 });
    expect(concurrencyFor('adaptive', 8, 8, heavy, { cpuCores: 6 }).perType).toEqual({ test: 3 });
    expect(concurrencyFor('adaptive', 8, 8, heavy).perType).toEqual({});
  });

  it('mayStart checks both limits', () => {
    const c = { total: 3, perType: { test: 1 }, reasons: [] };
    expect(mayStart(c, { total: 1, byType: { test: 1 } }, 'test')).toBe(false);
    expect(mayStart(c, { total: 1, byType: { test: 1 } }, 'fix')).toBe(true);
    expect(mayStart(c, { total: 3, byType: {} }, 'fix')).toBe(false);
  });
});

describe('estimates from history', () => {
  it('are the median of the last successes per type', () => {
    const h = [entry('test', 'success', 10, 1), entry('test', 'success', 30, 2), entry('test', 'success', 20, 3), entry('test', 'failure', 999, 4), entry('review', 'success', 5, 1)];
    expect(Object.fromEntries(historyEstimates(h))).toEqual({ test: 20 });
    expect(Object.fromEntries(historyEstimates(h, { minSamples: 1 }))).toEqual({ test: 20, review: 5 });
  });

  it('plug into resolveEstimates as the fallback', async () => {
    const plan = await checkText('packages:\n  - id: a\n    type: test\n    description: x\n  - id: b\n    type: fix\n    description: y\n');
    const history = [1, 2, 3].map((i) => entry('test', 'success', i * 60_000, i));
    const r = resolveEstimates(plan.packages, { fallback: historyFallback(history) });
    expect(Object.fromEntries(r.ms)).toEqual({ a: 120_000, b: 30 * 60_000 });
  });
});
