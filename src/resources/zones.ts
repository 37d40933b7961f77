import { DaedalusError } from '../common/index.js';

export type Zone = 'safe' | 'warning' | 'danger';

/** Percentages at which a metric enters the warning and the danger zone (inclusive). */
export interface ZoneLimits {
  warning: number;
  danger: number;
}

export interface Thresholds {
  cpu: ZoneLimits;
  memory: ZoneLimits;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  cpu: { warning: 60, danger: 80 },
  memory: { warning: 70, danger: 85 },
};

/** Fills omitted limits with the defaults and refuses orders that make a zone unreachable. */
export function resolveThresholds(partial: { cpu?: Partial<ZoneLimits>; memory?: Partial<ZoneLimits> } = {}): Thresholds {
  const t: Thresholds = {
    cpu: { ...DEFAULT_THRESHOLDS.cpu, ...partial.cpu },
    memory: { ...DEFAULT_THRESHOLDS.memory, ...partial.memory },
  };
  for (const [name, l] of Object.entries(t) as [string, ZoneLimits][]) {
    const ok = Number.isFinite(l.warning) && Number.isFinite(l.danger) && 0 <= l.warning && l.warning <= l.danger && l.danger <= 100;
    if (!ok) {
      throw new DaedalusError(
        'INVALID_INPUT',
        `${name} thresholds warning ${l.warning}% / danger ${l.danger}% are out of order`,
        'use 0 ≤ warning ≤ danger ≤ 100',
      );
    }
  }
  return t;
}

export interface ZoneReading {
  zone: Zone;
  cpuZone: Zone;
  memoryZone: Zone;
  /** "cpu 72% ≥ 60%", naming the metrics that set the zone, or both below their limits. */
  detail: string;
}

const RANK: Record<Zone, number> = { safe: 0, warning: 1, danger: 2 };

export function worseZone(a: Zone, b: Zone): Zone {
  return RANK[a] >= RANK[b] ? a : b;
}

export function zoneOf(percent: number, limits: ZoneLimits): Zone {
  if (percent >= limits.danger) return 'danger';
  if (percent >= limits.warning) return 'warning';
  return 'safe';
}

/** The zone is the worse of CPU's and memory's: either running out stalls every agent. */
export function classify(
  reading: { cpuPercent: number; memoryPercent: number },
  t: Thresholds = DEFAULT_THRESHOLDS,
): ZoneReading {
  const cpuZone = zoneOf(reading.cpuPercent, t.cpu);
  const memoryZone = zoneOf(reading.memoryPercent, t.memory);
  const zone = worseZone(cpuZone, memoryZone);
  const part = (name: string, pct: number, z: Zone, l: ZoneLimits) => {
    if (z === 'safe') return `${name} ${formatPercent(pct)} < ${formatPercent(l.warning)}`;
    return `${name} ${formatPercent(pct)} ≥ ${formatPercent(z === 'danger' ? l.danger : l.warning)}`;
  };
  const parts =
    zone === 'safe'
      ? [part('cpu', reading.cpuPercent, cpuZone, t.cpu), part('mem', reading.memoryPercent, memoryZone, t.memory)]
      : [
          ...(cpuZone === zone ? [part('cpu', reading.cpuPercent, cpuZone, t.cpu)] : []),
          ...(memoryZone === zone ? [part('mem', reading.memoryPercent, memoryZone, t.memory)] : []),
        ];
  return { zone, cpuZone, memoryZone, detail: parts.join(', ') };
}

/**
 * One decimal, rounded down, so a figure never reads as reaching a limit it has not reached
 * ("80% < 80%" from 79.96 would confuse whoever reads the log).
 */
export function formatPercent(n: number): string {
  return `${Math.floor(n * 10) / 10}%`;
}
