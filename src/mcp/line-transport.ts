import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { EnvelopeScanner } from './envelope-scan.js';

/**
 * Newline-delimited JSON-RPC over stdio, like the SDK's stdio transport, with one difference that
 * matters to a long-lived server: a message longer than the limit is answered with TOO_LARGE and
 * dropped as it streams in, and the server keeps serving. (The SDK's read buffer throws past
 * 10 MiB and then parses the rest of the message as garbage; the agent lost its bus.)
 */

export const MiB = 1024 * 1024;

/**
 * The dispatcher caps a call's arguments at 1 MiB and says which argument is too big; a message a
 * few times that size still reaches it for that precise answer. Past this, nothing is buffered.
 */
export const MAX_MESSAGE_BYTES = 4 * MiB;

/** JSON-RPC's "invalid request": the message is refused before it is read. */
export const INVALID_REQUEST = -32600;
export const PARSE_ERROR = -32700;

const LF = 0x0a;
const size = (bytes: number) => (bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`);

export interface LineTransportOptions {
  maxMessageBytes?: number;
  /** Where the transport says what it refused (stdout is the protocol's). */
  warn?: (line: string) => void;
}

/** The answer to a refused message: an isError tool result for tools/call (what agents read), else an error. */
export function tooLargeAnswer(id: string | number, method: string | undefined, bytes: number, limit: number): JSONRPCMessage {
  const text = `TOO_LARGE: the message is ${size(bytes)}; the limit is ${size(limit)} per message — split the work into smaller calls, or write large content to a file and pass its path`;
  const details = { code: 'TOO_LARGE', size_bytes: bytes, limit_bytes: limit };
  if (method === 'tools/call') {
    return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }], structuredContent: { error: details }, isError: true } };
  }
  return { jsonrpc: '2.0', id, error: { code: INVALID_REQUEST, message: text, data: details } };
}

export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly limit: number;
  private readonly warn: (line: string) => void;
  /** The current line's pieces while it is within the limit. */
  private parts: Buffer[] = [];
  private length = 0;
  /** Set while an over-long line streams past: only its envelope is read. */
  private oversized: EnvelopeScanner | null = null;
  private closed = false;

  constructor(
    private readonly input: Readable = process.stdin,
    private readonly output: Writable = process.stdout,
    opts: LineTransportOptions = {},
  ) {
    this.limit = opts.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.warn = opts.warn ?? ((line) => process.stderr.write(`${line}\n`));
  }

  async start(): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('error', this.onError);
    this.input.on('end', this.onEnd);
    this.input.on('close', this.onEnd);
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.output.write(`${JSON.stringify(message)}\n`)) resolve();
      else this.output.once('drain', resolve);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('error', this.onError);
    this.input.off('end', this.onEnd);
    this.input.off('close', this.onEnd);
    // Stop reading, or a pending read keeps the process alive after the server is done.
    if (this.input.listenerCount('data') === 0) this.input.pause();
    this.parts = [];
    this.oversized = null;
    this.onclose?.();
  }

  private readonly onEnd = () => void this.close();

  private readonly onError = (e: Error) => this.onerror?.(e);

  private readonly onData = (chunk: Buffer) => {
    let start = 0;
    while (start < chunk.length && !this.closed) {
      const nl = chunk.indexOf(LF, start);
      const end = nl === -1 ? chunk.length : nl;
      this.take(chunk.subarray(start, end));
      if (nl === -1) return;
      this.endLine();
      start = nl + 1;
    }
  };

  /** A piece of the current line: kept while the line fits, else only scanned. */
  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    this.length += piece.length;
    if (this.oversized) {
      this.oversized.feed(piece);
      return;
    }
    if (this.length <= this.limit) {
      this.parts.push(piece);
      return;
    }
    this.oversized = new EnvelopeScanner();
    for (const p of this.parts) this.oversized.feed(p);
    this.oversized.feed(piece);
    this.parts = [];
  }

  private endLine(): void {
    const bytes = this.length;
    const parts = this.parts;
    const scanner = this.oversized;
    this.parts = [];
    this.length = 0;
    this.oversized = null;
    if (scanner) return this.refuse(scanner, bytes);
    if (parts.length === 0) return;
    const line = Buffer.concat(parts, bytes).toString('utf8').replace(/\r$/, '');
    if (line.trim() === '') return;
    let message: JSONRPCMessage;
    try {
      message = JSON.parse(line) as JSONRPCMessage;
    } catch (e) {
      this.warn(`[daedalus mcp] warn a line on stdin is not JSON (${(e as Error).message}); ignored`);
      // JSON-RPC answers a parse error without an id (the SDK's schema has no null id).
      void this.send({ jsonrpc: '2.0', error: { code: PARSE_ERROR, message: `parse error: ${(e as Error).message}` } } as JSONRPCMessage);
      return;
    }
    this.onmessage?.(message);
  }

  private refuse(scanner: EnvelopeScanner, bytes: number): void {
    const { id, method } = scanner.found;
    this.warn(`[daedalus mcp] warn refused a ${size(bytes)} message${method ? ` (${method})` : ''}: the limit is ${size(this.limit)}`);
    // Without an id it was a notification (or not JSON-RPC at all): there is nobody to answer.
    if (id !== undefined) void this.send(tooLargeAnswer(id, method, bytes, this.limit));
  }
}
