import type { RunContext } from './context.js';

/**
 * Whether a person paused the run (or every run of its scope), from the dashboard. While paused the
 * loop starts no new agents; agents already running go on, so no work in flight is lost. Each
 * change is noted once, and logged as a decision (kind `pause` or `resume`) on the bus.
 */
export class PauseWatch {
  private was = false;

  constructor(private readonly ctx: RunContext) {}

  async holds(): Promise<boolean> {
    const { store, scope, runId } = this.ctx;
    const pauses = await store.listPauses(scope, runId);
    const now = pauses.length > 0;
    if (now !== this.was) {
      const p = pauses[0];
      const reason = now ? `paused by ${p?.by ?? 'someone'}${p?.reason ? `: ${p.reason}` : ''}: no new agents until resumed` : 'resumed: starting agents again';
      this.ctx.note(reason);
      await store.recordEvent(scope, 'run.decision', { kind: now ? 'pause' : 'resume', reason }, { runId, instanceId: this.ctx.supervisorId });
      this.was = now;
    }
    return now;
  }
}
