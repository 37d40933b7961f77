/**
 * Conflicts avoided before they happen: two packages whose inputs.files can touch the same files
 * (plan/overlap.ts) never run at once unless the plan says `overlap: allow`. The supervisor passes
 * over the partners of what it runs when it claims; and each started package holds one bus lock per
 * overlapping pair, so a second supervisor of the same run (another machine) keeps them apart too.
 * The locks carry the task id, so the bus releases them when the attempt ends however it ends.
 */
import type { Package } from '../plan/index.js';
import { overlapPartners } from '../plan/index.js';
import type { RunContext } from './context.js';

/** Past the package's own time limit a pair lock is stale: its holder died without releasing. */
const LOCK_SLACK_MS = 10 * 60_000;

export class OverlapGuard {
  private known: { plan: RunContext['plan']; partners: Map<string, Set<string>> } | null = null;

  constructor(private readonly ctx: RunContext) {}

  /** Computed again whenever the run's plan object changes (a planner's run grows). */
  private get partners(): Map<string, Set<string>> {
    const plan = this.ctx.plan;
    if (this.known?.plan !== plan) this.known = { plan, partners: plan.defaults.overlap === 'allow' ? new Map() : overlapPartners(plan.packages) };
    return this.known.partners;
  }

  get active(): boolean {
    return this.partners.size > 0;
  }

  /** Package ids that must not start while these run. */
  excluded(runningIds: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const id of runningIds) for (const p of this.partners.get(id) ?? []) out.add(p);
    return [...out];
  }

  /**
   * Takes the package's pair locks for its agent instance. False (and nothing held) when another
   * supervisor runs a partner: the caller gives the task back and passes it over for now.
   */
  async acquire(pkg: Package, owner: string, taskId: string): Promise<boolean> {
    const { store, scope } = this.ctx;
    const taken: string[] = [];
    for (const partner of [...(this.partners.get(pkg.id) ?? [])].sort()) {
      const path = this.pairPath(pkg.id, partner);
      const r = await store.lock({ scope, path, owner, taskId, reason: `${pkg.id} runs; it can touch the files of ${partner}`, ttlMs: pkg.timeoutMs + LOCK_SLACK_MS });
      if (!r.ok) {
        for (const p of taken) await store.unlock(scope, p, owner);
        return false;
      }
      taken.push(path);
    }
    return true;
  }

  private pairPath(a: string, b: string): string {
    const [x, y] = a < b ? [a, b] : [b, a];
    return `.daedalus-overlap/${this.ctx.runId}/${x}+${y}`;
  }
}
