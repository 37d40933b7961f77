import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * The server side of MCP's JSON-RPC, as much of it as Daedalus's server uses: requests to
 * handlers, cancellation, progress notifications, errors. Written here rather than taken from the
 * SDK's Server because that one validates every message with zod schemas built when it is
 * imported: about half of a bare SDK server's start, paid by every agent before its first turn.
 * Only the protocol's types come from the SDK (erased at build time).
 */

export type RequestId = string | number;

/** What a handler gets besides its params (the same shape tools had from the SDK). */
export interface RequestExtra {
  requestId: RequestId;
  /** Aborted when the client cancels the request or the connection closes. */
  signal: AbortSignal;
  _meta?: { progressToken?: string | number; [key: string]: unknown };
  sendNotification(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
}

export type Params = Record<string, unknown>;
export type Handler = (params: Params, extra: RequestExtra) => unknown;

/** JSON-RPC error codes the server answers with. */
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;

/** An error with a JSON-RPC code, for a handler to throw. */
export class ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

interface Incoming {
  id?: RequestId | null;
  method?: unknown;
  params?: unknown;
}

const isId = (v: unknown): v is RequestId => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
const isParams = (v: unknown): v is Params => typeof v === 'object' && v !== null && !Array.isArray(v);

export class McpProtocol {
  onclose?: () => void;
  /** Protocol trouble worth a log line (a send that failed, a handler that threw a non-error). */
  onerror?: (error: Error) => void;
  /** After each answer is written: lets the owner do deferred work between a client's requests. */
  onanswered?: (method: string) => void;

  private readonly handlers = new Map<string, Handler>();
  private readonly inFlight = new Map<RequestId, AbortController>();
  private transport: Transport | null = null;

  /** One handler per method; `initialize` and `ping` included (nothing is answered implicitly). */
  handle(method: string, handler: Handler): void {
    this.handlers.set(method, handler);
  }

  async connect(transport: Transport): Promise<void> {
    this.transport = transport;
    transport.onmessage = (m) => this.receive(m as Incoming);
    transport.onerror = (e) => this.onerror?.(e);
    transport.onclose = () => this.closed();
    await transport.start();
  }

  async close(): Promise<void> {
    await this.transport?.close();
  }

  private closed(): void {
    if (!this.transport) return;
    this.transport = null;
    for (const c of this.inFlight.values()) c.abort(new Error('connection closed'));
    this.inFlight.clear();
    this.onclose?.();
  }

  private receive(m: Incoming): void {
    if (typeof m !== 'object' || m === null) return;
    if (typeof m.method !== 'string') {
      // A response to a request of ours (we send none), or not JSON-RPC at all.
      if (isId(m.id)) void this.send({ jsonrpc: '2.0', id: m.id, error: { code: -32600, message: 'invalid request: no method' } });
      return;
    }
    if (!isId(m.id)) return this.notification(m.method, isParams(m.params) ? m.params : {});
    void this.request(m.id, m.method, m.params);
  }

  private notification(method: string, params: Params): void {
    if (method === 'notifications/cancelled' && isId(params.requestId)) {
      this.inFlight.get(params.requestId)?.abort(new Error(typeof params.reason === 'string' ? params.reason : 'cancelled by the client'));
    }
    // notifications/initialized and anything else: nothing to do.
  }

  private async request(id: RequestId, method: string, rawParams: unknown): Promise<void> {
    const handler = this.handlers.get(method);
    if (!handler) return this.send({ jsonrpc: '2.0', id, error: { code: METHOD_NOT_FOUND, message: `method not found: ${method}` } });
    if (rawParams !== undefined && !isParams(rawParams)) {
      return this.send({ jsonrpc: '2.0', id, error: { code: INVALID_PARAMS, message: 'params must be an object' } });
    }
    const params = rawParams ?? {};
    const abort = new AbortController();
    this.inFlight.set(id, abort);
    const meta = isParams(params._meta) ? (params._meta as RequestExtra['_meta']) : undefined;
    const extra: RequestExtra = {
      requestId: id,
      signal: abort.signal,
      ...(meta ? { _meta: meta } : {}),
      sendNotification: async (n) => {
        if (!abort.signal.aborted) await this.send({ jsonrpc: '2.0', method: n.method, ...(n.params ? { params: n.params } : {}) }, id);
      },
    };
    let answer: JSONRPCMessage;
    try {
      const result = (await handler(params, extra)) as Params;
      answer = { jsonrpc: '2.0', id, result };
    } catch (e) {
      answer = { jsonrpc: '2.0', id, error: errorBody(e) };
    } finally {
      if (this.inFlight.get(id) === abort) this.inFlight.delete(id);
    }
    // A cancelled request gets no answer: the client has already given up on it.
    if (!abort.signal.aborted) await this.send(answer, id);
    this.onanswered?.(method);
  }

  /** @param relatedTo the request a message answers or reports on: an HTTP transport routes by it. */
  private async send(message: JSONRPCMessage, relatedTo?: RequestId): Promise<void> {
    try {
      await this.transport?.send(message, relatedTo === undefined ? undefined : { relatedRequestId: relatedTo });
    } catch (e) {
      this.onerror?.(e instanceof Error ? e : new Error(String(e)));
    }
  }
}

function errorBody(e: unknown): { code: number; message: string; data?: unknown } {
  if (e instanceof ProtocolError) return { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) };
  return { code: INTERNAL_ERROR, message: e instanceof Error ? e.message : String(e) };
}
