import { openStore, resolveBusAddress } from '../bus/index.js';
import { daedalusHome, describeError } from '../common/index.js';
import type { McpContext } from './context.js';
import { startHousekeeping } from './housekeeping.js';
import { createContext } from './identity.js';
import type { Logger } from './log.js';

export interface Attached {
  ctx: McpContext;
  /** Stops the housekeeping, deregisters an instance this server registered itself, closes the bus. */
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
  let ctx: McpContext;
  try {
    ctx = await createContext({ store, env: o.env, cwd: o.cwd, log: o.log });
    ctx.busArg = o.bus;
    ctx.env = o.env;
    ctx.home = daedalusHome(o.env);
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  const housekeeping = startHousekeeping(ctx);
  const who = ctx.session.identity ? `instance ${ctx.session.identity.id} (${ctx.session.identity.role})` : 'an unregistered agent';
  o.log.info(`serving ${who}; bus ${store.address}, scope ${ctx.session.identity?.scope ?? ctx.scope}`);
  const steps: [string, () => Promise<unknown>][] = [
    ['housekeeping', () => housekeeping.stop()],
    [
      'deregister',
      async () => {
        const me = ctx.session.identity;
        if (me && !me.adopted) await store.deregisterInstance(me.id, 'mcp server exited');
      },
    ],
    ['close the bus', () => store.close()],
  ];
  return {
    ctx,
    async release() {
      for (const [what, step] of steps.splice(0)) await step().catch((e: unknown) => o.log.error(`shutdown (${what}): ${describeError(e)}`));
    },
  };
}
