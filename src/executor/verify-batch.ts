/**
 * `verify_after: batch`. A batch is the merges whose tasks completed while the previous batch was
 * being merged and verified: the first completion after a quiet spell is verified alone at once,
 * and every completion that arrives while a verify runs waits for it to end and then goes in with
 * the others that waited, merged together and verified once (workspace/integrate-batch.ts). A
 * failed batch is undone and its merges made again one by one, each verified alone, so the
 * breakers are found and rejected (their next attempts are the fix tasks) and the rest stay.
 *
 * The queue lives in this process only: a task waiting in it is still `integrating` on the bus,
 * so after a crash the resumed run integrates it again.
 */
import type { Package } from '../plan/index.js';
import { integrateBatch, type BatchMember, type IntegrateResult, type VerifyResult, type VerifySpec } from '../workspace/index.js';
import type { RunContext } from './context.js';

interface Waiting {
  pkg: Package;
  member: BatchMember;
  resolve: (r: IntegrateResult) => void;
  reject: (e: unknown) => void;
}

class Batcher {
  private queue: Waiting[] = [];
  private busy = false;

  constructor(private readonly ctx: RunContext) {}

  /** Merges the task with the next batch and resolves with its own result once the batch is decided. */
  async submit(pkg: Package, taskHead: string, verify: VerifySpec): Promise<IntegrateResult> {
    const done = new Promise<IntegrateResult>((resolve, reject) => this.queue.push({ pkg, member: { task: pkg.id, taskHead, verify }, resolve, reject }));
    if (!this.busy) void this.drain();
    else {
      await this.ctx.store.recordEvent(
        this.ctx.scope,
        'run.decision',
        { kind: 'verify-batch', reason: `${pkg.id} waits for the verify running now and joins the next batch` },
        { taskId: null, runId: this.ctx.runId },
      );
    }
    return done;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        try {
          const out = await integrateBatch({
            repo: this.ctx.repo,
            home: this.ctx.home,
            run: this.ctx.runId,
            members: batch.map((w) => w.member),
            verify: unionOf(batch.map((w) => w.member.verify)),
          });
          if (out.batchVerify) await recordBatchVerify(this.ctx, out.batchVerify.tasks, out.batchVerify.verdict);
          batch.forEach((w, i) => w.resolve(out.results[i]!));
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}

/** Every member's commands once each, in order of first mention; the longest timeout. */
function unionOf(specs: VerifySpec[]): VerifySpec {
  const commands = [...new Set(specs.flatMap((s) => s.commands))];
  const timeoutMs = Math.max(...specs.map((s) => s.timeoutMs));
  return { commands, timeoutMs, ...(specs[0]?.env ? { env: specs[0].env } : {}) };
}

/** One `run.verify` event for the whole batch: the report counts verify runs, not merges verified. */
async function recordBatchVerify(ctx: RunContext, tasks: string[], verdict: VerifyResult): Promise<void> {
  const data = { package: tasks.join(','), packages: tasks, ok: verdict.ok, duration_ms: verdict.durationMs, failed: verdict.failed, exit_code: verdict.exitCode, timed_out: verdict.timedOut };
  await ctx.store.recordEvent(ctx.scope, 'run.verify', data, { taskId: null, runId: ctx.runId });
}

const batchers = new WeakMap<RunContext, Batcher>();

/** The run's batcher (one per run context: a resumed run starts with an empty queue). */
export function verifyInBatch(ctx: RunContext, pkg: Package, taskHead: string, verify: VerifySpec): Promise<IntegrateResult> {
  let b = batchers.get(ctx);
  if (!b) batchers.set(ctx, (b = new Batcher(ctx)));
  return b.submit(pkg, taskHead, verify);
}
