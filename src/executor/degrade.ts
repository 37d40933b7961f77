/**
 * Emergency degradation, as the resource note lists it: when the machine has stayed in the danger
 * zone and there is nothing left to pause, the run sheds its `low`-priority work first. The tasks
 * are cancelled on the bus (so every agent of theirs stops), each with the reason, and a decision
 * event names them; `daedalus run --resume RUN --include-cancelled` brings them back.
 */
import { isDaedalusError } from '../common/index.js';
import type { RunContext } from './context.js';

export async function shedLowPriority(ctx: RunContext, reason: string): Promise<string[]> {
  const open = await ctx.store.listTasks(ctx.scope, { runId: ctx.runId, states: ['ready', 'blocked', 'leased', 'running'], limit: 100_000 });
  const low = open.filter((t) => t.priority === 'low');
  const shed: string[] = [];
  for (const t of low) {
    try {
      await ctx.store.cancelTask(t.id, { by: ctx.supervisorId, reason: `emergency degradation: ${reason}` });
      shed.push(t.key ?? t.id);
    } catch (e) {
      // Finished meanwhile: nothing to shed.
      if (!isDaedalusError(e, 'INVALID_STATE')) throw e;
    }
  }
  if (shed.length > 0) {
    ctx.note(`emergency degradation: cancelled ${shed.length} low-priority task(s): ${shed.join(', ')} (resume with --include-cancelled)`);
    await ctx.store.recordEvent(ctx.scope, 'run.decision', { kind: 'degrade', reason: `cancelled low-priority ${shed.join(', ')}: ${reason}`, data: { cancelled: shed } }, { runId: ctx.runId });
  }
  return shed;
}

/** `--include-cancelled` on resume: cancelled tasks of the run get another attempt. */
export async function reviveCancelled(ctx: RunContext): Promise<string[]> {
  const cancelled = await ctx.store.listTasks(ctx.scope, { runId: ctx.runId, states: ['cancelled'], limit: 100_000 });
  const out: string[] = [];
  for (const t of cancelled) {
    await ctx.store.retryTask(t.id, { by: ctx.supervisorId });
    out.push(t.key ?? t.id);
  }
  if (out.length > 0) ctx.note(`resuming ${out.length} cancelled task(s): ${out.join(', ')}`);
  return out;
}
