/**
 * The verify gate from the executor's side: which commands gate a package's merge, what a failure
 * tells the next attempt (the fix), and the bus record of every verify run, from which the report
 * and `plan show` take verify time. The commands themselves run in workspace/verify.ts, inside the
 * merge lock.
 */
import type { Json } from '../bus/index.js';
import { FOR_NEXT_ATTEMPT } from '../harness/index.js';
import type { Package } from '../plan/index.js';
import type { VerifyResult, VerifySpec } from '../workspace/index.js';
import type { RunContext } from './context.js';


export function verifySpecFor(ctx: RunContext, pkg: Package): VerifySpec | undefined {
  // Runs recorded before the gate existed have neither field.
  const commands = pkg.verify ?? ctx.plan.defaults.verify ?? [];
  if (commands.length === 0) return undefined;
  return { commands, timeoutMs: ctx.plan.defaults.verifyTimeoutMs ?? 20 * 60_000, env: { ...ctx.plan.defaults.env, DAEDALUS_RUN_ID: ctx.runId } };
}

/** Every verify run goes on the bus as `run.verify`: the report adds their durations up. */
export async function recordVerify(ctx: RunContext, taskId: string, pkg: Package, verdict: VerifyResult): Promise<void> {
  const data = { package: pkg.id, ok: verdict.ok, duration_ms: verdict.durationMs, failed: verdict.failed, exit_code: verdict.exitCode, timed_out: verdict.timedOut };
  await ctx.store.recordEvent(ctx.scope, 'run.verify', data, { taskId, runId: ctx.runId });
}

/**
 * The failure a rejected merge becomes: retryable, so the package's next attempt is the fix task.
 * It continues on the package's own branch (where the breaking change still is) and is told which
 * command failed and how.
 */
export function verifyFailure(pkg: Package, verdict: VerifyResult, integrationHead: string): { error: string; result: Json } {
  const how = verdict.timedOut ? 'timed out' : `exited with code ${verdict.exitCode ?? 'unknown'}`;
  const error = [
    `verify failed after merging ${pkg.id}: \`${verdict.failed ?? ''}\` ${how} on the integration branch, so the merge was undone (integration stays at ${integrationHead.slice(0, 12)})`,
    FOR_NEXT_ATTEMPT,
    `Your branch merged cleanly but broke \`${verdict.failed ?? ''}\`. Fix your change so the command passes with everything already merged, then complete the task again. The command's output ended with:`,
    verdict.output.slice(-3000),
  ].join('\n');
  return {
    error,
    result: { verify: { ok: false, command: verdict.failed, exit_code: verdict.exitCode, timed_out: verdict.timedOut, duration_ms: verdict.durationMs, output: verdict.output } },
  };
}
