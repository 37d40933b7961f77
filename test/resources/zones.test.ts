import { describe, expect, it } from 'vitest';
import { isDaedalusError } from '../../src/common/errors.js';
import { classify, formatPercent, resolveThresholds, zoneOf } from '../../src/resources/index.js';

describe('zones', () => {
  it('uses the seed’s defaults: CPU 60/80 %, memory 70/85 %, limits inclusive', () => {
    const t = resolveThresholds();
    expect(zoneOf(59.9, t.cpu)).toBe('safe');
    expect(zoneOf(60, t.cpu)).toBe('warning');
    expect(zoneOf(80, t.cpu)).toBe('danger');
    expect(zoneOf(69.9, t.memory)).toBe('safe');
    expect(zoneOf(70, t.memory)).toBe('warning');
    expect(zoneOf(85, t.memory)).toBe('danger');
  });

  it('takes the worse of CPU’s and memory’s zone and names the metric that set it', () => {
    expect(classify({ cpuPercent: 10, memoryPercent: 90 })).toMatchObject({ zone: 'danger', cpuZone: 'safe', memoryZone: 'danger', detail: 'mem 90% ≥ 85%' });
    expect(classify({ cpuPercent: 72.34, memoryPercent: 20 })).toMatchObject({ zone: 'warning', detail: 'cpu 72.3% ≥ 60%' });
    expect(classify({ cpuPercent: 65, memoryPercent: 75 }).detail).toBe('cpu 65% ≥ 60%, mem 75% ≥ 70%');
    expect(classify({ cpuPercent: 23, memoryPercent: 41 })).toMatchObject({ zone: 'safe', detail: 'cpu 23% < 60%, mem 41% < 70%' });
  });

  it('accepts custom thresholds and refuses ones in the wrong order', () => {
    const t = resolveThresholds({ cpu: { warning: 30 } });
    expect(t.cpu).toEqual({ warning: 30, danger: 80 });
    expect(classify({ cpuPercent: 35, memoryPercent: 0 }, t).zone).toBe('warning');
    let err: unknown;
    try {
      resolveThresholds({ memory: { warning: 90, danger: 80 } });
    } catch (e) {
      err = e;
    }
    expect(isDaedalusError(err, 'INVALID_INPUT')).toBe(true);
  });

  it('never rounds a figure up to the limit it has not reached', () => {
    expect(formatPercent(79.96)).toBe('79.9%');
    expect(classify({ cpuPercent: 79.96, memoryPercent: 0 }).detail).toBe('cpu 79.9% ≥ 60%');
  });
});
