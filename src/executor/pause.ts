import type { RunContext } from './context.js';

/**
 * Whether a person paused the run (or every run of its scope), from the dashboard. While paused the
 * loop starts no new agents; agents already running go on, so no work in flight is lost. Each
 * change is noted once for the progress view.
 */
export class PauseWatch {
  private was = false;

  constructor(private readonly ctx: RunContext) {}

  async holds(): Promise<boolean> {
    const pauses = await this.ctx.store.listPauses(this.ctx.scope, this.ctx.runId);
    const now = pauses.length > 0;
    if (now !== this.was) {
      const p = pauses[0];
      this.ctx.note(now ? `paused by ${p?.by ?? 'someone'}${p?.reason ? `: ${p.reason}` : ''}: no new agents until resumed` : 'resumed: starting agents again');
      this.was = now;
    }
    return now;
  }
}
