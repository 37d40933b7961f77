import { mkdtempSync, rmSync } from 'node:fs';
import { afterEach, beforeEach } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { openStore, type Store } from '../../src/bus/index.js';
import { buildServer, createContext, type Logger, type McpContext, type McpOptions } from '../../src/mcp/index.js';

export const SCOPE = '/repo/under-test';

/** Tool results as tests read them: deep fields without a cast at every step. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions check the shape
export type Loose = Record<string, any>;

export interface Bus {
  store: Store;
  dir: string;
  /** A root for lock paths that exists on disk. */
  root: string;
  close(): Promise<void>;
}

export async function tempBus(): Promise<Bus> {
  const dir = mkdtempSync(join(tmpdir(), 'daedalus-mcp-'));
  const store = await openStore(`sqlite:${join(dir, 'bus.db')}`);
  return {
    store,
    dir,
    root: dir,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CallResult {
  isError: boolean;
  /** The first text block: an error line, or the JSON result. */
  text: string;
  /** The parsed JSON of a successful result. */
  json: Loose;
  notices: string[];
}

export interface Agent {
  client: Client;
  ctx: McpContext;
  call(name: string, args?: Record<string, unknown>, opts?: RequestOptions): Promise<CallResult>;
  /** Calls and fails the test unless the result is a success. */
  ok(name: string, args?: Record<string, unknown>): Promise<Loose>;
  close(): Promise<void>;
}

export interface AgentOptions {
  env?: Record<string, string>;
  options?: Partial<McpOptions>;
  register?: { role: string; label?: string };
  now?: () => number;
  log?: Logger;
}

/** An MCP client connected over an in-memory transport to a fresh server for one agent. */
export async function connectAgent(bus: Bus, opts: AgentOptions = {}): Promise<Agent> {
  const env = { DAEDALUS_SCOPE: SCOPE, DAEDALUS_FILE_ROOT: bus.root, ...opts.env };
  const ctx = await createContext({ store: bus.store, env, cwd: bus.root, options: opts.options, now: opts.now, log: opts.log, pid: 4242, host: 'test-host' });
  const server = buildServer(ctx);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test', version: '0' });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  const call = async (name: string, args: Record<string, unknown> = {}, o?: RequestOptions): Promise<CallResult> => {
    const r = await client.callTool({ name, arguments: args }, undefined, o);
    const blocks = (r.content as { type: string; text: string }[]).filter((b) => b.type === 'text').map((b) => b.text);
    const text = blocks[0] ?? '';
    const notices = blocks.slice(1);
    return { isError: r.isError === true, text, json: r.isError ? {} : JSON.parse(text), notices };
  };
  const agent: Agent = {
    client,
    ctx,
    call,
    async ok(name, args) {
      const r = await call(name, args);
      if (r.isError) throw new Error(`${name} failed: ${r.text}`);
      return r.json;
    },
    async close() {
      await client.close();
      await server.close();
    },
  };
  if (opts.register) await agent.ok('register', opts.register);
  return agent;
}

/**
 * A fresh bus per test and agents that are closed after it: the setup every tool test shares.
 * `agent(role)` registers with that role; `connect(opts)` connects without defaults.
 */
export function useAgents(defaults: (role: string) => AgentOptions = (role) => ({ register: { role } })) {
  const state: { bus: Bus | null; agents: Agent[] } = { bus: null, agents: [] };
  beforeEach(async () => {
    state.bus = await tempBus();
  });
  afterEach(async () => {
    for (const a of state.agents.splice(0)) await a.close();
    await state.bus?.close();
  });
  const bus = () => state.bus!;
  const connect = async (opts: AgentOptions = {}) => {
    const a = await connectAgent(bus(), opts);
    state.agents.push(a);
    return a;
  };
  return { bus, connect, agent: (role: string, opts: AgentOptions = {}) => connect({ ...defaults(role), ...opts }) };
}

/**
 * What a supervisor does before it starts an agent for a task: reserve the agent's instance and
 * claim the task for it. Returns the environment the agent's MCP server gets.
 */
export async function daedalusStarted(bus: Bus, o: { taskId: string; runId?: string; scope?: string }): Promise<Record<string, string>> {
  const scope = o.scope ?? SCOPE;
  const sup = await bus.store.registerInstance({ scope, role: 'supervisor' });
  const reserved = await bus.store.reserveInstance({ scope, role: 'worker', reservedBy: sup.id, taskId: o.taskId, fileRoot: bus.root, leaseMs: 60_000 });
  const lease = await bus.store.claim(o.taskId, reserved.id, 60_000);
  return {
    DAEDALUS_INSTANCE_ID: reserved.id,
    DAEDALUS_ROLE: 'worker',
    DAEDALUS_TASK_ID: o.taskId,
    DAEDALUS_LEASE_TOKEN: lease.token,
    ...(o.runId ? { DAEDALUS_RUN_ID: o.runId } : {}),
  };
}
