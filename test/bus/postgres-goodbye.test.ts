import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const READ_ONCE = fileURLToPath(new URL('./fixtures/pg-read-once.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

const message = (type: string, body: Buffer) => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const fields = (f: Record<string, string>) =>
  Buffer.concat([...Object.entries(f).map(([k, v]) => Buffer.from(`${k}${v}\0`, 'utf8')), Buffer.from([0])]);

/**
 * What a server in a fast shutdown can send a client that just connected: "ready for a query"
 * and, in the same packet, "terminating connection due to administrator command" (57P01).
 */
const readyThenGoodbye = Buffer.concat([
  message('R', int32(0)), // authentication ok
  message('Z', Buffer.from('I')), // ready for query
  message('E', fields({ S: 'FATAL', V: 'FATAL', C: '57P01', M: 'terminating connection due to administrator command' })),
]);

describe('a PostgreSQL server that says goodbye as a client connects', () => {
  let server: Server | null = null;
  afterEach(() => {
    server?.close();
    server = null;
  });

  it('does not crash the process: the read is waited out and ends in one clear BUS_UNAVAILABLE', async () => {
    let connections = 0;
    server = createServer((socket: Socket) => {
      connections++;
      // The startup message has no type byte; whatever it says, this server answers the same.
      socket.once('data', () => {
        socket.end(readyThenGoodbye);
        // After that the server is gone: nobody listens any more.
        server?.close();
      });
      socket.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };

    const child = spawn(process.execPath, ['--import', 'tsx', READ_ONCE, `postgres://daedalus@127.0.0.1:${port}/bus`], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];

    expect(connections).toBe(1);
    expect(err).not.toMatch(/Unhandled 'error' event/);
    expect(code, err).toBe(0);
    const outcome = JSON.parse(out.trim()) as { code?: string; message?: string };
    expect(outcome.code).toBe('BUS_UNAVAILABLE');
    expect(outcome.message).toMatch(/did not come back/);
  }, 60_000);
});
