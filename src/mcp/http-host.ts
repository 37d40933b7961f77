import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Store } from '../bus/index.js';
import { describeError } from '../common/index.js';
import { attachContext, type Attached } from './attach.js';
import { EnvelopeScanner } from './envelope-scan.js';
import { HostedTransport } from './http-exchange.js';
import { MAX_MESSAGE_BYTES, PARSE_ERROR, tooLargeAnswer } from './line-transport.js';
import { silentLogger, type Logger } from './log.js';
import { pinnedRole } from './pinned-role.js';
import { buildServer } from './server.js';
import { warmWhenQuiet } from './warm-when-quiet.js';

/**
 * The bus served to the supervisor's own agents over MCP's streamable HTTP, from the supervisor's
 * process, on loopback. An agent CLI that must wait for a stdio server before its first turn pays
 * a process start (Codex: 1.10× its own start for a server that answers at once, 1.2× for ours);
 * a server that is already listening costs it a connection. Each agent gets a session of its own:
 * a bearer token that stands for the identity, lease and worktree the supervisor gave it, exactly
 * what a stdio server of that agent would have read from its environment. The token is the only
 * credential; it lives in the agent's own MCP configuration and dies with the attempt.
 *
 * Browsers are kept out: a request with an Origin header, or naming another host (DNS rebinding),
 * is refused before its token is looked at.
 */

export interface HostedSessionInput {
  /** The agent's environment, with its DAEDALUS_* identity, role, task, lease, scope and file root. */
  env: Record<string, string>;
  /** The agent's working directory. */
  cwd: string;
}

export interface HostedSession {
  readonly url: string;
  readonly token: string;
  /** The agent's pid, recorded on its instance when the session adopts it. */
  agentStarted(pid: number): void;
  /** Ends the session: in-flight calls are aborted, the token is refused from now on. */
  close(): Promise<void>;
}

export interface McpHost {
  readonly url: string;
  open(input: HostedSessionInput): HostedSession;
  close(): Promise<void>;
}

export interface McpHostOptions {
  store: Store;
  log?: Logger;
  maxMessageBytes?: number;
}

interface Session {
  transport: HostedTransport;
  close(): Promise<void>;
}

const PATH = '/mcp';

function refuse(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32600, message } }));
}

/** The body, or what an over-long one was (its id and method, read as it streamed past). */
async function readBody(req: IncomingMessage, limit: number): Promise<{ text: string } | { tooLarge: { id?: string | number; method?: string; bytes: number } }> {
  const parts: Buffer[] = [];
  let bytes = 0;
  let scanner: EnvelopeScanner | null = null;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (scanner) scanner.feed(chunk);
    else if (bytes <= limit) parts.push(chunk);
    else {
      scanner = new EnvelopeScanner();
      for (const p of parts.splice(0)) scanner.feed(p);
      scanner.feed(chunk);
    }
  }
  return scanner ? { tooLarge: { ...scanner.found, bytes } } : { text: Buffer.concat(parts).toString('utf8') };
}

export async function startMcpHost(o: McpHostOptions): Promise<McpHost> {
  const log = o.log ?? silentLogger;
  const limit = o.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  const sessions = new Map<string, Session>();
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.origin !== undefined) return refuse(res, 403, 'requests from web pages are refused');
    if (req.headers.host !== `127.0.0.1:${port}` && req.headers.host !== `localhost:${port}`) return refuse(res, 403, `unexpected Host ${req.headers.host ?? '(none)'}`);
    if ((req.url ?? '').split('?')[0] !== PATH) return refuse(res, 404, `the MCP endpoint is ${PATH}`);
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const session = token ? sessions.get(token) : undefined;
    if (!session) return refuse(res, 401, 'no session for this token: only agents Daedalus started have one, for as long as their attempt runs', { 'www-authenticate': 'Bearer' });
    // No stream outside a request, and a session ends with its attempt, not at the client's word.
    if (req.method !== 'POST') return refuse(res, 405, 'only POST is served here', { allow: 'POST' });
    const body = await readBody(req, limit);
    if ('tooLarge' in body) {
      const { id, method, bytes } = body.tooLarge;
      log.warn(`refused a ${bytes}-byte message${method ? ` (${method})` : ''}`);
      if (id === undefined) return refuse(res, 413, `the message is ${bytes} bytes; the limit is ${limit}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tooLargeAnswer(id, method, bytes, limit)));
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.text);
    } catch (e) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: PARSE_ERROR, message: `parse error: ${(e as Error).message}` } }));
      return;
    }
    const batch = Array.isArray(parsed);
    const messages = (batch ? parsed : [parsed]) as JSONRPCMessage[];
    if (messages.length === 0 || messages.some((m) => typeof m !== 'object' || m === null || Array.isArray(m))) return refuse(res, 400, 'the body must be a JSON-RPC message or a batch of them');
    // A tool call may report progress while it runs: its answer comes as an event stream when the client takes one.
    const stream = /text\/event-stream/.test(req.headers.accept ?? '') && messages.some((m) => 'method' in m && m.method === 'tools/call');
    session.transport.exchange(messages, batch, res, stream);
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log.error(`http: ${describeError(e)}`);
      if (!res.headersSent) refuse(res, 500, 'internal error');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  port = (http.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}${PATH}`;
  // Loaded once for every session, now, rather than by the first agent's first call.
  void import('./engine.js').catch(() => undefined);

  return {
    url,
    open(input) {
      const token = randomBytes(32).toString('base64url');
      let pidKnown!: (pid: number) => void;
      let pidLost!: (e: Error) => void;
      const pid = new Promise<number>((resolve, reject) => ((pidKnown = resolve), (pidLost = reject)));
      pid.catch(() => undefined);
      let attached: Promise<Attached> | null = null;
      const attach = () => {
        attached ??= (async () => attachContext(o.store, { bus: input.env.DAEDALUS_BUS, env: input.env, cwd: input.cwd, log, pid: await pid, sweep: false }))();
        attached.catch((e: unknown) => {
          log.error(`session of ${input.env.DAEDALUS_INSTANCE_ID ?? 'an agent'}: ${describeError(e)}`);
          attached = null;
        });
        return attached.then((a) => a.ctx);
      };
      const server = buildServer(attach, pinnedRole(input.env));
      const transport = new HostedTransport();
      const stopWarming = warmWhenQuiet(server, () => attached !== null);
      server.onerror = (e) => log.warn(`protocol: ${e.message}`);
      void server.connect(transport);
      let closing: Promise<void> | null = null;
      const close = () =>
        (closing ??= (async () => {
          sessions.delete(token);
          stopWarming();
          pidLost(new Error('the agent never started'));
          await server.close();
          const a = await (attached as Promise<Attached> | null)?.catch(() => null);
          await a?.release();
        })());
      sessions.set(token, { transport, close });
      return { url, token, agentStarted: (n) => pidKnown(n), close };
    },
    async close() {
      await Promise.all([...sessions.values()].map((s) => s.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
