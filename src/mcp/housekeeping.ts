import { describeError, isDaedalusError } from '../common/index.js';
import type { McpContext } from './context.js';
import { forgetIdentity, rejoinHint, tryAdopt } from './identity.js';

/**
 * What the server does on its own while the process lives: heartbeat the instance (the process is
 * alive, so the instance is) and sweep the bus (that is what turns silent instances stale or gone
 * and lapsed leases ready). It never renews task leases — only the agent's tool calls do. A
 * session of the supervisor's MCP host does not sweep: the supervisor's loop already does.
 */
export function startHousekeeping(ctx: McpContext, o: { sweep?: boolean } = {}): { stop(): Promise<void> } {
  let busy: Promise<void> = Promise.resolve();
  const serial = (fn: () => Promise<void>) => () => {
    busy = busy.then(fn).catch((e: unknown) => ctx.log.error(describeError(e)));
  };

  const beat = async () => {
    const s = ctx.session;
    if (!s.identity) {
      if (s.pendingAdoption) await tryAdopt(ctx);
      return;
    }
    const id = s.identity.id;
    try {
      await ctx.store.heartbeat(id, s.leases.size > 0 ? 'working' : 'idle');
    } catch (e) {
      if (!isDaedalusError(e, 'NOT_FOUND')) throw e;
      ctx.log.warn(`instance ${id} is gone: ${e.message}`);
      forgetIdentity(ctx, e.message);
      const what = ctx.startedFor ? rejoinHint(ctx) : 'call register to rejoin; stop working on your tasks';
      ctx.session.notices.push(`NOT_REGISTERED: your instance ${id} was declared gone (${e.message}) — ${what}`);
    }
  };

  const sweep = async () => {
    const r = await ctx.store.sweep();
    const n = r.expiredTasks.length + r.staleInstances.length + r.goneInstances.length + r.expiredLocks;
    if (n > 0) {
      ctx.log.debug(`sweep: ${r.expiredTasks.length} leases lapsed, ${r.staleInstances.length} stale, ${r.goneInstances.length} gone, ${r.expiredLocks} locks expired`);
    }
  };

  const timers = [setInterval(serial(beat), ctx.options.heartbeatMs)];
  if (o.sweep !== false) timers.push(setInterval(serial(sweep), ctx.options.sweepMs));
  for (const t of timers) t.unref();
  return {
    async stop() {
      for (const t of timers) clearInterval(t);
      await busy;
    },
  };
}
