import { openStore, resolveBusAddress, type Store } from '../bus/index.js';
import { daedalusHome, describeError } from '../common/index.js';
import type { McpContext } from './context.js';
import { startHousekeeping } from './housekeeping.js';
import { createContext } from './identity.js';
import type { Logger } from './log.js';

export interface Attached {
  ctx: McpContext;
  /** Stops the housekeeping, deregisters an instance this server registered itself, closes what it opened. */
  release(): Promise<void>;
}

/**
 * Everything of `daedalus mcp` that needs the bus: the store, the agent's context (adopting its
 * reserved instance) and the housekeeping. Loaded after the handshake (see run.ts), so the agent
 * CLI does not wait for it. An adopted instance belongs to the supervisor, which sees the agent
 * exit and deregisters it; only an instance registered through the `register` tool is ours to end.
 */
export async function attachToBus(o: { bus?: string; env: NodeJS.ProcessEnv; cwd: string; log: Logger }): Promise<Attached> {
  const store = await openStore(resolveBusAddress(o.bus, o.env, o.cwd));
  let attached: Attached;
  try {
    attached = await attachContext(store, o);
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  o.log.info(`serving ${describeIdentity(attached.ctx)}; bus ${store.address}, scope ${attached.ctx.session.identity?.scope ?? attached.ctx.scope}`);
  return {
    ctx: attached.ctx,
    async release() {
      await attached.release();
      await store.close().catch((e: unknown) => o.log.error(`shutdown (close the bus): ${describeError(e)}`));
    },
  };
}

const describeIdentity = (ctx: McpContext) => (ctx.session.identity ? `instance ${ctx.session.identity.id} (${ctx.session.identity.role})` : 'an unregistered agent');

/**
 * One agent's context on an open bus, with its housekeeping: what `daedalus mcp` and a session of
 * the supervisor's MCP host (which shares the supervisor's bus, passes the agent's pid, and leaves
 * sweeping to the supervisor's loop) both need. `release` stops the housekeeping and deregisters an
 * instance this context registered itself; the bus stays open.
 */
export async function attachContext(store: Store, o: { bus?: string; env: NodeJS.ProcessEnv; cwd: string; log: Logger; pid?: number; sweep?: boolean }): Promise<Attached> {
  const ctx = await createContext({ store, env: o.env, cwd: o.cwd, log: o.log, ...(o.pid !== undefined ? { pid: o.pid } : {}) });
  ctx.busArg = o.bus;
  ctx.env = o.env;
  ctx.home = daedalusHome(o.env);
  const housekeeping = startHousekeeping(ctx, { sweep: o.sweep });
  const steps: [string, () => Promise<unknown>][] = [
    ['housekeeping', () => housekeeping.stop()],
    [
      'deregister',
      async () => {
        const me = ctx.session.identity;
        if (me && !me.adopted) await store.deregisterInstance(me.id, 'mcp server exited');
      },
    ],
  ];
  return {
    ctx,
    async release() {
      for (const [what, step] of steps.splice(0)) await step().catch((e: unknown) => o.log.error(`shutdown (${what}): ${describeError(e)}`));
    },
  };
}
