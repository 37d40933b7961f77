import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveExecutable } from './find-executable.js';
import { shQuote, type McpServerEntry } from './launch.js';

/**
 * An agent CLI that waits for its MCP server before its first turn (Codex, with `required`) starts
 * the server only once it has started itself, then waits for Node to boot and the server to answer:
 * 100–150 ms on the agent's critical path on a quiet machine, more under load. So the server is
 * started beside the CLI instead, at the same moment, and boots while the CLI does. The CLI's MCP
 * command becomes a relay, /bin/sh and two `cat`s, that joins the waiting server through two FIFOs
 * in a private folder of the attempt (mcp/fifo-streams.ts is the server's end).
 *
 * When the relay finds no server waiting (it has not booted yet, it could not start, or a relay is
 * already joined to it), it starts the server the usual way, so the CLI always gets one — and an
 * error of the server's own, such as a missing executable, reaches the CLI as before.
 */

/** Run in the agent's process group: make the FIFOs, start the server behind them, become the CLI. */
const wrapper = (server: string) => `d=$1; shift
if mkfifo -m 600 "$d/in" "$d/out" 2>/dev/null; then
  ${server} </dev/null >/dev/null 2>>"$d/server.log" &
fi
exec "$@"`;

/** What the CLI runs as its MCP server. */
const RELAY = `d=$1; shift
if [ -e "$d/ready" ]; then
  cat "$d/out" &
  exec cat >"$d/in"
fi
exec "$@"`;

export interface RelayedLaunch {
  /** The agent's command, wrapped. */
  command: string;
  args: string[];
  /** The MCP server entry to give the CLI: the relay. */
  relay: McpServerEntry;
}

/**
 * Wraps an agent command so that `server` starts beside it, and returns the relay to register as
 * the CLI's MCP server in place of `server`. Null when the server's command is no executable: the
 * CLI is then given the server itself, fails to start it and says why, as it always did.
 */
export function relayMcpServer(attemptDir: string, server: McpServerEntry, agent: { command: string; args: string[] }, pathVar: string | undefined): RelayedLaunch | null {
  if (!resolveExecutable(server.command, pathVar)) return null;
  const dir = join(attemptDir, 'mcp-relay');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const assignments = Object.entries({ ...server.env, DAEDALUS_MCP_FIFO: dir }).map(([k, v]) => `${k}=${shQuote(v)}`);
  const start = [...assignments, shQuote(server.command), ...server.args.map(shQuote)].join(' ');
  return {
    command: '/bin/sh',
    args: ['-c', wrapper(start), 'daedalus-agent', dir, agent.command, ...agent.args],
    relay: { command: '/bin/sh', args: ['-c', RELAY, 'daedalus-mcp-relay', dir, server.command, ...server.args], env: server.env },
  };
}
