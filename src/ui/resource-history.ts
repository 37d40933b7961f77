import type { Store } from '../bus/index.js';
import { describeError } from '../common/index.js';
import { classify, DEFAULT_THRESHOLDS, type Sampler } from '../resources/index.js';
import type { ResourceSample } from './api-types.js';

/**
 * The machine's figures over time while the dashboard is open: a sample every few seconds (CPU,
 * memory, their zone, agents running), the last ones kept in a ring. Nothing is written to the bus.
 */
export class ResourceHistory {
  private readonly samples: ResourceSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly sampler: Sampler,
    private readonly store: Store,
    private readonly scope: string,
    private readonly everyMs = 3000,
    private readonly keep = 600,
    private readonly warn: (line: string) => void = () => undefined,
  ) {}

  start(): void {
    void this.take();
    this.timer = setInterval(() => void this.take(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  list(): ResourceSample[] {
    return [...this.samples];
  }

  private async take(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const s = await this.sampler.sample();
      const counts = await this.store.countTasks(this.scope);
      this.samples.push({ at: s.at, cpuPercent: s.cpuPercent, memoryPercent: s.memoryPercent, zone: classify(s, DEFAULT_THRESHOLDS).zone, running: counts.running + counts.leased });
      if (this.samples.length > this.keep) this.samples.splice(0, this.samples.length - this.keep);
    } catch (e) {
      this.warn(`sampling resources: ${describeError(e)}`);
    } finally {
      this.busy = false;
    }
  }
}
