import { createReadStream, createWriteStream, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/**
 * The server end of a started-ahead `daedalus mcp` (harness/mcp-relay.ts): the protocol comes in
 * through the FIFO `in` and goes out through `out` of a private folder, where the agent CLI's relay
 * connects once the CLI asks for its MCP server. `ready` tells the relay someone waits at the other
 * end; it goes as soon as one relay is connected, so a second start of the server by the CLI gets
 * a server of its own instead of a FIFO nobody reads.
 */

/** A server nobody connects to (the CLI died first, or started the server itself) leaves after this. */
export const UNCLAIMED_MS = 120_000;

export function fifoStreams(dir: string): { input: Readable; output: Writable } {
  const ready = join(dir, 'ready');
  writeFileSync(ready, `${process.pid}\n`);
  const input = createReadStream(join(dir, 'in'));
  const output = createWriteStream(join(dir, 'out'));
  const withdraw = () => rmSync(ready, { force: true });
  // A relay that comes after this process is gone must start a server of its own, not wait here.
  process.once('exit', withdraw);
  const unclaimed = setTimeout(() => process.exit(0), UNCLAIMED_MS);
  input.once('open', () => {
    clearTimeout(unclaimed);
    withdraw();
  });
  // The relay gone mid-answer: the same as stdin closing, never an uncaught EPIPE.
  output.on('error', () => input.destroy());
  return { input, output };
}
