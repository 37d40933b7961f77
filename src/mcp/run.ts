import type { Attached } from './attach.js';
import { LineTransport } from './line-transport.js';
import { stderrLogger } from './log.js';
import { pinnedRole } from './pinned-role.js';
import { buildServer } from './server.js';
import { warmWhenQuiet } from './warm-when-quiet.js';

export interface RunMcpOptions {
  /** Bus address; default DAEDALUS_BUS, then sqlite:$DAEDALUS_HOME/bus.db. */
  bus?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * `daedalus mcp`: one stdio MCP server for one agent process. It answers the handshake before
 * anything heavy is loaded — the agent CLI waits for it before its first turn — and attaches to
 * the bus right after (attach.ts). Resolves when stdin closes or on SIGTERM / SIGINT, after
 * cleaning up.
 */
export async function runMcpServer(opts: RunMcpOptions = {}): Promise<void> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const log = stderrLogger(env);

  let stopReason: (why: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stopReason = resolve));
  const onTerm = () => stopReason('SIGTERM');
  const onInt = () => stopReason('SIGINT');
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);

  let attaching: Promise<Attached> | null = null;
  const attach = () => {
    const attempt = import('./attach.js').then((m) => m.attachToBus({ bus: opts.bus, env, cwd, log }));
    attaching = attempt;
    attempt.catch((e: unknown) => log.error(`cannot attach to the bus: ${e instanceof Error ? e.message : String(e)}`));
    return attempt.then((a) => a.ctx);
  };
  // An agent Daedalus started adopts an instance reserved with DAEDALUS_ROLE; it cannot change it.
  const server = buildServer(attach, pinnedRole(env));
  const stopWarming = warmWhenQuiet(server, () => attaching !== null);
  server.onerror = (e) => log.warn(`protocol: ${e.message}`);
  server.onclose = () => stopReason('stdin closed');
  try {
    await server.connect(new LineTransport(process.stdin, process.stdout, { warn: (line) => process.stderr.write(`${line}\n`) }));
    log.debug('listening on stdio');
    log.info(`stopping: ${await stopped}`);
  } finally {
    stopWarming();
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    // Closing the server aborts in-flight calls (a long wait_for_activity) before the bus goes.
    await server.close();
    const attached = await (attaching as Promise<Attached> | null)?.catch(() => null);
    await attached?.release();
  }
  // stdin may still be open after a signal; nothing else should keep the process, but never linger.
  process.stdin.destroy();
  setTimeout(() => process.exit(0), 2000).unref();
}
