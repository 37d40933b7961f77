/**
 * `strategy: adaptive` in the supervisor: the strategy's concurrency narrowed by the learnings on
 * the bus (schedule/adaptive.ts), with the memory headroom under the danger line taken from the
 * resource gate's last sample. Agents just started have not reached their peak yet, so what the
 * running ones are known to need is reserved on top of what the machine uses at the start.
 */
import type { GateDecision } from '../resources/index.js';
import { applyLearnings, summariseLearnings, type Concurrency } from '../schedule/index.js';
import type { RunContext } from './context.js';

export class LearnedLimits {
  private baselineBytes: number | null = null;

  constructor(private readonly ctx: RunContext) {}

  async narrow(base: Concurrency, maxAgents: number, runningTypes: readonly string[], decision: GateDecision | null): Promise<Concurrency> {
    const knowledge = summariseLearnings(await this.ctx.store.listLearnings(this.ctx.scope, { limit: 2000 }));
    if (knowledge.size === 0) return base;
    const runningByType: Record<string, number> = {};
    for (const t of runningTypes) runningByType[t] = (runningByType[t] ?? 0) + 1;
    let headroom: number | null = null;
    if (decision && decision.memoryLimitBytes > 0) {
      const used = (decision.memoryPercent / 100) * decision.memoryLimitBytes;
      if (this.baselineBytes === null || runningTypes.length === 0) this.baselineBytes = used;
      const reserved = runningTypes.reduce((n, t) => n + (knowledge.get(t)?.peakRssBytes ?? 0), 0);
      const danger = (this.ctx.plan.defaults.resources.memDanger / 100) * decision.memoryLimitBytes;
      headroom = Math.max(0, danger - Math.max(used, this.baselineBytes + reserved));
    }
    return applyLearnings({ base, maxAgents, knowledge, runningByType, memoryHeadroomBytes: headroom });
  }
}
