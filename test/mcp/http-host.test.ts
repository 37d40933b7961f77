import { request, type IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startMcpHost, type HostedSession, type McpHost } from '../../src/mcp/index.js';
import { daedalusStarted, SCOPE, tempBus, type Bus, type Loose } from './helpers.js';

/** The supervisor's MCP host, reached the way Codex and Claude Code reach it: streamable HTTP with a bearer token. */
describe('the MCP host serves each agent Daedalus started its own session', () => {
  let bus: Bus;
  let host: McpHost;
  const clients: Client[] = [];
  beforeEach(async () => {
    bus = await tempBus();
    host = await startMcpHost({ store: bus.store, maxMessageBytes: 64 * 1024 });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close().catch(() => undefined);
    await host.close();
    await bus.close();
  });

  async function session(title = 'build the parser'): Promise<{ session: HostedSession; taskId: string; env: Record<string, string> }> {
    const sup = await bus.store.registerInstance({ scope: SCOPE, role: 'supervisor' });
    const task = await bus.store.createTask(SCOPE, { title }, sup.id);
    const env = { DAEDALUS_SCOPE: SCOPE, DAEDALUS_FILE_ROOT: bus.root, ...(await daedalusStarted(bus, { taskId: task.id })) };
    const s = host.open({ env, cwd: bus.root });
    return { session: s, taskId: task.id, env };
  }

  async function connect(url: string, token: string): Promise<Client> {
    const client = new Client({ name: 'test', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    clients.push(client);
    return client;
  }

  async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; text: string; json: Loose }> {
    const r = await client.callTool({ name, arguments: args });
    const text = (r.content as { type: string; text: string }[])[0]?.text ?? '';
    return { isError: r.isError === true, text, json: r.isError ? {} : JSON.parse(text) };
  }

  /** A raw POST, for what no well-behaved client sends: resolves once the answer's headers are in. */
  function send(token: string | null, body: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
    const url = new URL(host.url);
    return new Promise((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } },
        resolve,
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async function readAll(res: IncomingMessage): Promise<string> {
    let text = '';
    for await (const d of res as AsyncIterable<Buffer>) text += d.toString();
    return text;
  }

  async function post(token: string | null, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    const res = await send(token, body, headers);
    return { status: res.statusCode ?? 0, body: await readAll(res) };
  }

  const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });

  test('an agent adopts the instance reserved for it, with its own pid, and completes its task', async () => {
    const { session: s, taskId, env } = await session();
    s.agentStarted(31337);
    const client = await connect(s.url, s.token);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('complete_task');
    // Listed for its pinned role: a worker is not offered the planner's tools.
    expect(tools).not.toContain('spawn_parallel_tasks');
    const me = await call(client, 'whoami');
    expect(me.json).toMatchObject({ id: env.DAEDALUS_INSTANCE_ID, role: 'worker', started_by_supervisor: true, current_task: taskId });
    expect(await bus.store.getInstance(env.DAEDALUS_INSTANCE_ID!)).toMatchObject({ adopted: true, pid: 31337 });
    const done = await call(client, 'complete_task', { summary: 'parser built' });
    expect(done.json.task).toMatchObject({ id: taskId, state: 'done' });
    expect(done.text).not.toContain(env.DAEDALUS_LEASE_TOKEN);
  });

  test('its role is the one the supervisor gave: the session cannot register as a planner or call planner tools', async () => {
    const { session: s } = await session();
    s.agentStarted(4242);
    const client = await connect(s.url, s.token);
    expect((await call(client, 'register', { role: 'planner' })).text).toMatch(/^FORBIDDEN: this agent was started by Daedalus/);
    expect((await call(client, 'request_task', { title: 'x' })).text).toMatch(/^FORBIDDEN: .*only planners create tasks/);
    expect(await bus.store.listInstances(SCOPE, { role: 'planner' })).toEqual([]);
  });

  test('only a live session token is served: none, a forged one and one whose attempt ended are refused', async () => {
    const a = await session('a');
    const b = await session('b');
    a.session.agentStarted(1001);
    b.session.agentStarted(1002);
    expect((await post(null, initialize)).status).toBe(401);
    expect((await post('forged-token', initialize)).status).toBe(401);
    expect((await post(a.session.token, initialize)).status).toBe(200);
    await a.session.close();
    const after = await post(a.session.token, initialize);
    expect(after.status).toBe(401);
    expect(after.body).toMatch(/no session for this token/);
    // The other agent's session is untouched.
    const client = await connect(b.session.url, b.session.token);
    expect((await call(client, 'whoami')).json).toMatchObject({ id: b.env.DAEDALUS_INSTANCE_ID });
  });

  test('a web page cannot use it: a request with an Origin, or naming another host, is refused even with a valid token', async () => {
    const { session: s } = await session();
    expect((await post(s.token, initialize, { origin: 'http://evil.example' })).status).toBe(403);
    // DNS rebinding: the page's own name resolves to loopback; the Host header still says it.
    expect((await post(s.token, initialize, { host: `evil.example:${new URL(host.url).port}` })).status).toBe(403);
    expect((await post(s.token, initialize)).status).toBe(200);
  });

  test('an oversized call is answered TOO_LARGE and the session goes on serving', async () => {
    const { session: s } = await session();
    s.agentStarted(4242);
    const big = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'report_progress', arguments: { text: 'x'.repeat(200 * 1024) } } });
    const answer = await post(s.token, big);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ id: 7, result: { isError: true, structuredContent: { error: { code: 'TOO_LARGE' } } } });
    const client = await connect(s.url, s.token);
    expect((await call(client, 'whoami')).json).toMatchObject({ registered: true });
  });

  test('a session that ends while a call waits ends that call, and nothing answers for it later', async () => {
    const { session: s } = await session();
    s.agentStarted(4242);
    // A tool call's answer is an event stream: its headers come back once the call is in the server's hands.
    const waiting = await send(s.token, JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'wait_for_activity', arguments: { timeout_seconds: 300 } } }));
    expect(waiting.headers['content-type']).toBe('text/event-stream');
    await s.close();
    const ended = { status: waiting.statusCode, body: await readAll(waiting) };
    expect(ended.status).toBe(200);
    expect(ended.body).not.toMatch(/"id":9/);
  });
});
