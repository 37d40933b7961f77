import type { Store } from '../bus/index.js';
import { describeError, type Defer } from '../common/index.js';
import { startMcpHost, type McpHost } from '../mcp/index.js';

/** The harnesses whose agents take a session of the host (their CLIs speak streamable HTTP). */
export const HOSTED_HARNESSES = new Set(['claude', 'codex']);

/** Set to `stdio` to give every agent a `daedalus mcp` process of its own, as before the host. */
const MCP_TRANSPORT_ENV = 'DAEDALUS_MCP_TRANSPORT';

/**
 * The supervisor's MCP host (mcp/http-host.ts), started when the first agent that can use it is
 * launched and closed with the run (`defer`). Its sessions share the supervisor's bus connection.
 * When it cannot start, that is said once and every agent falls back to its own stdio server.
 */
export function lazyMcpHost(store: Store, defer: Defer, note: (line: string) => void, env: NodeJS.ProcessEnv = process.env): (() => Promise<McpHost>) | undefined {
  if (env[MCP_TRANSPORT_ENV]?.trim() === 'stdio') return undefined;
  let host: Promise<McpHost> | null = null;
  defer(() => host?.then((h) => h.close(), () => undefined));
  return () => {
    if (!host) {
      // Its sessions' warnings and errors are the supervisor's notes; their chatter is dropped.
      host = startMcpHost({ store, log: { debug: () => {}, info: () => {}, warn: (m) => note(`mcp: ${m}`), error: (m) => note(`mcp: ${m}`) } });
      host.catch((e: unknown) => note(`the MCP host did not start (${describeError(e)}); agents get a \`daedalus mcp\` server each`));
    }
    return host;
  };
}
