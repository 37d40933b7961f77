import type { ServerResponse } from 'node:http';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { RequestId } from './protocol.js';

/**
 * The transport of one hosted session (http-host.ts): MCP's streamable HTTP, server side, as much
 * of it as agent CLIs use. Each POST is an exchange: its requests go to the server, and the HTTP
 * response carries their answers — one JSON body, or for a tool call an event stream that also
 * carries the call's progress notifications (a long wait_for_activity reports while it waits).
 * There is no stream outside a request: the server sends nothing of its own accord.
 */

interface Exchange {
  waiting: Set<RequestId>;
  answers: JSONRPCMessage[];
  /** Set when the response is an event stream: each message is written as it comes. */
  stream: ServerResponse | null;
  finish(): void;
}

const CANCELLED = 'notifications/cancelled';

function answerId(m: JSONRPCMessage): RequestId | undefined {
  return 'id' in m && ('result' in m || 'error' in m) ? (m.id as RequestId) : undefined;
}

export class HostedTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly byRequest = new Map<RequestId, Exchange>();
  private closed = false;

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const answered = answerId(message);
    const id = answered ?? options?.relatedRequestId;
    // Nobody waits for it: its client went away, or it belongs to no request.
    const exchange = id === undefined ? undefined : this.byRequest.get(id);
    if (!exchange || id === undefined) return;
    if (exchange.stream) exchange.stream.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    else if (answered !== undefined) exchange.answers.push(message);
    if (answered === undefined) return;
    this.byRequest.delete(id);
    exchange.waiting.delete(id);
    if (exchange.waiting.size === 0) exchange.finish();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const open = new Set(this.byRequest.values());
    this.byRequest.clear();
    for (const exchange of open) exchange.finish();
    this.onclose?.();
  }

  /**
   * Hands one POST's messages to the server and answers it: 202 when it held no request, else the
   * answers. A request whose id is already in flight is refused (the answer could not be told apart).
   * When the client hangs up first, its unanswered requests are cancelled like a client's cancel.
   */
  exchange(messages: JSONRPCMessage[], batch: boolean, res: ServerResponse, stream: boolean): void {
    const requests = messages.filter((m) => 'method' in m && 'id' in m && m.id !== undefined && m.id !== null);
    if (this.closed) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'this session has ended' }));
      return;
    }
    if (requests.length === 0) {
      res.writeHead(202).end();
      for (const m of messages) this.onmessage?.(m);
      return;
    }
    const exchange: Exchange = {
      waiting: new Set(),
      answers: [],
      stream: null,
      finish: () => {
        if (res.writableEnded) return;
        if (exchange.stream) res.end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(batch ? exchange.answers : exchange.answers[0]));
      },
    };
    const duplicate = requests.find((m) => this.byRequest.has((m as { id: RequestId }).id));
    if (duplicate) {
      res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: (duplicate as { id: RequestId }).id, error: { code: -32600, message: 'a request with this id is already in flight' } }));
      return;
    }
    for (const m of requests) {
      const id = (m as { id: RequestId }).id;
      exchange.waiting.add(id);
      this.byRequest.set(id, exchange);
    }
    if (stream) {
      exchange.stream = res;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      // Node holds headers back until the first write: the client would not know its call is in.
      res.flushHeaders();
    }
    res.once('close', () => {
      if (res.writableFinished) return;
      for (const id of exchange.waiting) {
        if (this.byRequest.get(id) !== exchange) continue;
        this.byRequest.delete(id);
        this.onmessage?.({ jsonrpc: '2.0', method: CANCELLED, params: { requestId: id, reason: 'the client closed the connection' } });
      }
      exchange.waiting.clear();
    });
    for (const m of messages) this.onmessage?.(m);
  }
}
