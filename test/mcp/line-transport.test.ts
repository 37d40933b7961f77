import { PassThrough } from 'node:stream';
import * as fc from 'fast-check';
import { SUPPORTED_PROTOCOL_VERSIONS as SDK_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, test } from 'vitest';
import { EnvelopeScanner } from '../../src/mcp/envelope-scan.js';
import { LineTransport } from '../../src/mcp/line-transport.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../../src/mcp/server.js';

/** Scans a message fed in the given pieces. */
function scan(text: string, cuts: number[] = []): EnvelopeScanner['found'] {
  const bytes = Buffer.from(text, 'utf8');
  const s = new EnvelopeScanner();
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    s.feed(bytes.subarray(at, cut));
    at = cut;
  }
  s.feed(bytes.subarray(at));
  return s.found;
}

describe('the envelope of a message read in pieces', () => {
  test('the top-level id and method, wherever they are, and never a nested one', () => {
    expect(scan('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"id":99}}')).toEqual({ id: 7, method: 'tools/call' });
    expect(scan('{"method":"tools/call","params":{"arguments":{"id":"inner","method":"x"}},"jsonrpc":"2.0","id":"req-1"}')).toEqual({ id: 'req-1', method: 'tools/call' });
    expect(scan('{ "params" : [ {"id": 3} ], "id" : -12 , "method" : "ping" }')).toEqual({ id: -12, method: 'ping' });
    // Strings that look like keys, escapes and quotes inside values do not confuse it.
    expect(scan('{"params":{"text":"\\"id\\":5, \\\\\\"x"},"id":"a\\"b","method":"m"}')).toEqual({ id: 'a"b', method: 'm' });
    // A notification has no id; a null or object id is none either.
    expect(scan('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":4}}')).toEqual({ method: 'notifications/cancelled' });
    expect(scan('{"id":null,"method":"m"}')).toEqual({ method: 'm' });
    expect(scan('{"id":{"x":1},"method":"m"}')).toEqual({ method: 'm' });
  });

  test('the same answer however the message is cut', () => {
    const message = JSON.stringify({ method: 'tools/call', params: { name: 'kv_set', arguments: { key: 'k', value: 'v'.repeat(300), id: 1 } }, jsonrpc: '2.0', id: 4242 });
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: message.length }), { maxLength: 12 }), (cuts) => {
        expect(scan(message, cuts)).toEqual({ id: 4242, method: 'tools/call' });
      }),
    );
    for (let cut = 0; cut <= message.length; cut++) expect(scan(message, [cut])).toEqual({ id: 4242, method: 'tools/call' });
  });

  test('any JSON object: the scanner agrees with JSON.parse on the top-level id and method', () => {
    const id = fc.oneof(fc.integer(), fc.string({ maxLength: 20 }));
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })), fc.option(id), fc.option(fc.string({ maxLength: 30 })), (rest, i, m) => {
        const o: Record<string, unknown> = { ...rest };
        if (i !== null) o.id = i;
        if (m !== null) o.method = m;
        const parsed = JSON.parse(JSON.stringify(o)) as { id?: unknown; method?: unknown };
        const expected: Record<string, unknown> = {};
        if (typeof parsed.id === 'string' || typeof parsed.id === 'number') expected.id = parsed.id;
        if (typeof parsed.method === 'string') expected.method = parsed.method;
        expect(scan(JSON.stringify(o))).toEqual(expected);
      }),
    );
  });
});

describe('the line transport', () => {
  function wire(limit: number) {
    const input = new PassThrough();
    const output = new PassThrough();
    const warnings: string[] = [];
    const t = new LineTransport(input, output, { maxMessageBytes: limit, warn: (l) => warnings.push(l) });
    const received: unknown[] = [];
    t.onmessage = (m) => received.push(m);
    let written = '';
    output.on('data', (d: Buffer) => (written += d.toString()));
    const answers = () => written.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    return { input, t, received, warnings, answers };
  }

  test('messages split anywhere and several in one chunk arrive whole and in order', async () => {
    const w = wire(1024);
    await w.t.start();
    const text = `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'a' })}\r\n${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'b' })}\n\n`;
    for (const ch of text) w.input.write(ch);
    w.input.write(`${JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'c' })}\n${JSON.stringify({ jsonrpc: '2.0', method: 'd' })}\n`);
    await new Promise((r) => setImmediate(r));
    expect(w.received).toEqual([
      { jsonrpc: '2.0', id: 1, method: 'a' },
      { jsonrpc: '2.0', id: 2, method: 'b' },
      { jsonrpc: '2.0', id: 3, method: 'c' },
      { jsonrpc: '2.0', method: 'd' },
    ]);
  });

  test('an over-long line is answered for its id without being passed on, and the next line is read', async () => {
    const w = wire(1000);
    await w.t.start();
    const big = JSON.stringify({ method: 'resources/read', params: { uri: 'x', pad: 'p'.repeat(5000) }, jsonrpc: '2.0', id: 'big' });
    for (let i = 0; i < big.length; i += 333) w.input.write(big.slice(i, i + 333));
    w.input.write(`\n${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' })}\n`);
    // A notification that is too long: nobody to answer, nothing passed on.
    w.input.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/x', params: { pad: 'q'.repeat(2000) } })}\n`);
    await new Promise((r) => setImmediate(r));
    expect(w.received).toEqual([{ jsonrpc: '2.0', id: 2, method: 'ping' }]);
    expect(w.answers()).toEqual([
      { jsonrpc: '2.0', id: 'big', error: { code: -32600, message: expect.stringMatching(/^TOO_LARGE: the message is 5 KiB; the limit is 1 KiB per message/), data: { code: 'TOO_LARGE', size_bytes: big.length, limit_bytes: 1000 } } },
    ]);
    expect(w.warnings).toHaveLength(2);
  });

  test('a line that is not JSON gets a parse error and does not stop the transport', async () => {
    const w = wire(1000);
    await w.t.start();
    w.input.write(`{not json\n${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })}\n`);
    await new Promise((r) => setImmediate(r));
    expect(w.answers()).toEqual([{ jsonrpc: '2.0', error: { code: -32700, message: expect.stringMatching(/^parse error/) } }]);
    expect(w.received).toEqual([{ jsonrpc: '2.0', id: 1, method: 'ping' }]);
  });
});

test('the server speaks the protocol versions of the SDK it is built with', () => {
  expect(SUPPORTED_PROTOCOL_VERSIONS).toEqual(SDK_VERSIONS);
});
