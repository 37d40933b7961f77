import { describeError } from '../common/index.js';
import { packageOf, type RunContext } from './context.js';
import { integrateCompleted } from './integrate.js';
import { executedElsewhere } from './remote-integration.js';

/** How often the loop looks for them, and only while the run has integrating tasks. */
const PACE_MS = 2000;

/**
 * Integrating tasks of the run that nothing in this process is integrating: those a dead
 * supervisor left (a resumed run finds them at its first look), and any integration cut off while
 * its task stayed `integrating` (a bus fault under it). Nothing else ever comes back to such a task, and the run
 * would wait for it forever. The run's integrator adopts each one (a fresh integration lease) and
 * integrates it beside the loop; merging is idempotent, so work merged before the fault is not
 * merged again. A failure leaves it for the next look.
 */
export class OrphanIntegrations {
  private last = 0;

  constructor(private readonly ctx: RunContext) {}

  /** True when a look is due (at most one per PACE_MS, and never in a host that only executes the run's tasks); counts it as taken. */
  due(now = Date.now()): boolean {
    if ((this.ctx.remote && !this.ctx.remote.owner) || now - this.last < PACE_MS) return false;
    this.last = now;
    return true;
  }

  /**
   * Integrates the orphans found now; resolves to how many. `busy` says whether an attempt of this
   * process holds a task: asked right before each adoption, since an attempt is among the running
   * ones from its claim until its own integration is over.
   */
  async sweep(busy: (taskId: string) => boolean): Promise<number> {
    const { ctx } = this;
    const tasks = await ctx.store.listTasks(ctx.scope, { runId: ctx.runId, states: ['integrating'], limit: 1000 });
    let integrated = 0;
    for (const t of tasks) {
      // Completed on another host: the remote's merge pass takes it (remote-integration.ts).
      if ((await executedElsewhere(ctx, t)) || busy(t.id)) continue;
      try {
        const lease = await ctx.store.adoptIntegration(t.id, ctx.supervisorId, ctx.leaseMs);
        const outcome = await integrateCompleted(ctx, t.id, lease.token, packageOf(ctx, t.key ?? ''));
        ctx.note(`${t.key}: its integration had been cut off; integration ${outcome === 'success' ? 'done' : outcome}`);
        integrated++;
      } catch (e) {
        ctx.note(`${t.key}: could not finish its integration yet: ${describeError(e)}`);
      }
    }
    return integrated;
  }
}
