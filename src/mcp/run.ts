import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { openStore, resolveBusAddress } from '../bus/index.js';
import { describeError } from '../common/index.js';
import { startHousekeeping } from './housekeeping.js';
import { createContext } from './identity.js';
import { stderrLogger } from './log.js';
import { buildServer } from './server.js';

export interface RunMcpOptions {
  /** Bus address; default DAEDALUS_BUS, then sqlite:$DAEDALUS_HOME/bus.db. */
  bus?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * `daedalus mcp`: one stdio MCP server for one agent process. Resolves when stdin closes or on
 * SIGTERM / SIGINT, after cleaning up. It deregisters only an instance it registered itself
 * (the `register` tool); an adopted instance belongs to the supervisor, which sees the agent exit
 * and deregisters it.
 */
export async function runMcpServer(opts: RunMcpOptions = {}): Promise<void> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const log = stderrLogger(env);
  const store = await openStore(resolveBusAddress(opts.bus, env, cwd));
  const releasers: (() => Promise<unknown>)[] = [() => store.close()];
  const release = async () => {
    for (const r of releasers.splice(0).reverse()) await r().catch((e: unknown) => log.error(`shutdown: ${describeError(e)}`));
  };

  let stopReason: (why: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stopReason = resolve));
  const onStdinEnd = () => stopReason('stdin closed');
  const onTerm = () => stopReason('SIGTERM');
  const onInt = () => stopReason('SIGINT');
  // Listening before anything slow, so a stop that comes early is not missed.
  process.stdin.once('end', onStdinEnd);
  process.stdin.once('close', onStdinEnd);
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);
  try {
    const ctx = await createContext({ store, env, cwd, log });
    releasers.push(async () => {
      const me = ctx.session.identity;
      if (me && !me.adopted) await store.deregisterInstance(me.id, 'mcp server exited');
    });
    const server = buildServer(ctx);
    const transport = new StdioServerTransport();
    server.onclose = () => stopReason('transport closed');
    await server.connect(transport);
    // Closing the server aborts in-flight calls (a long wait_for_activity) before the store goes.
    releasers.push(() => server.close());
    const housekeeping = startHousekeeping(ctx);
    releasers.push(() => housekeeping.stop());

    const who = ctx.session.identity ? `instance ${ctx.session.identity.id} (${ctx.session.identity.role})` : 'an unregistered agent';
    log.info(`serving ${who} on stdio; bus ${store.address}, scope ${ctx.session.identity?.scope ?? ctx.scope}`);

    log.info(`stopping: ${await stopped}`);
  } finally {
    process.stdin.off('end', onStdinEnd);
    process.stdin.off('close', onStdinEnd);
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    await release();
  }
  // stdin may still be open after a signal; nothing else should keep the process, but never linger.
  process.stdin.destroy();
  setTimeout(() => process.exit(0), 2000).unref();
}
