import { bestEffort } from '../common/index.js';
import { endPreviousAttempt } from './attempt-fence.js';
import type { RunContext } from './context.js';

/**
 * Attempt fences an ending attempt could not lift: its group would not die in time, or the bus
 * refused the release (a full disk, an outage past its retry budget). Until a fence is lifted its
 * task cannot be claimed again, and nothing else in a live supervisor would come back to it — only
 * a resume does — so the run would wait for that task forever. The loop calls `retry` on every
 * tick; each fence is checked as a resume checks one (endPreviousAttempt) until it is lifted.
 */
export class FencesLeft {
  private readonly left = new Map<string, number>();
  private retrying: Promise<number> | null = null;

  add(taskId: string, attempt: number): void {
    this.left.set(taskId, attempt);
  }

  get size(): number {
    return this.left.size;
  }

  /** Lifts what it can, one pass at a time; resolves with how many were lifted. */
  retry(ctx: Pick<RunContext, 'store' | 'note'>): Promise<number> {
    if (this.left.size === 0) return Promise.resolve(0);
    this.retrying ??= this.pass(ctx).finally(() => {
      this.retrying = null;
    });
    return this.retrying;
  }

  private async pass(ctx: Pick<RunContext, 'store' | 'note'>): Promise<number> {
    let lifted = 0;
    for (const [taskId, attempt] of [...this.left]) {
      const task = await bestEffort(`reading ${taskId} to lift its attempt fence`, ctx.store.getTask(taskId), ctx.note);
      if (task === undefined) continue;
      // Lifted meanwhile (a resume elsewhere, a sweep), or the task has moved past that attempt.
      if (!task?.process || task.process.attempt !== attempt) {
        this.left.delete(taskId);
        continue;
      }
      const ended = await bestEffort(`lifting ${taskId}'s attempt fence`, endPreviousAttempt(ctx, task), ctx.note);
      if (ended === 'killed' || ended === 'gone') {
        this.left.delete(taskId);
        lifted++;
      }
    }
    return lifted;
  }
}
