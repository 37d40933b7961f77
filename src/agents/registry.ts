import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Json, Store, Task } from '../bus/index.js';
import { DaedalusError } from '../common/index.js';

/**
 * Persistent named agents live on the bus: one key-value record each (`agents/NAME`) with their
 * definition, the agent CLI session that carries their context, and their state. The record
 * outlives any process, so an agent that dies is restarted with its session resumed, and every
 * machine on the bus sees the same agents.
 */

export type AgentState = 'idle' | 'working' | 'blocked' | 'stopped';
export const AGENT_HARNESSES = ['claude'] as const;
export type AgentHarness = (typeof AGENT_HARNESSES)[number];

export interface AgentRecord {
  name: string;
  harness: AgentHarness;
  role: string;
  /** Loaded once, into the first turn of the agent's session. */
  seed: string | null;
  /** The agent CLI's session: every task after the first resumes it. */
  sessionId: string | null;
  status: AgentState;
  taskId: string | null;
  /** While blocked: what it waits for (a permission request and how to answer it). */
  waitingFor?: string | null;
  /** One line about the latest exchange, for `agents list` and `daedalus status`. */
  summary: string;
  lastActiveAt: number | null;
  /** The runner serving it (an instance on the bus), while one does. */
  instanceId: string | null;
  tasksDone: number;
  createdAt: number;
}

const PREFIX = 'agents/';
const NAME = /^[a-z][a-z0-9_-]{0,31}$/;
export const agentKey = (name: string) => `${PREFIX}${name}`;
/** The assignee of an agent's tasks: only its runner (which claims with this role) takes them. */
export const agentAssignee = (name: string) => `role:agent.${name}`;
export const agentClaimRole = (name: string) => `agent.${name}`;

export function checkAgentName(name: string): string {
  if (!NAME.test(name)) throw new DaedalusError('INVALID_INPUT', `agent name "${name}" is not valid`, 'use lower-case letters, digits, - and _, starting with a letter (at most 32)');
  return name;
}

export interface AddAgentInput {
  name: string;
  harness?: string;
  role?: string;
  /** A file whose text seeds the agent's first turn. */
  seedFile?: string;
  now?: number;
}

export async function addAgent(store: Store, scope: string, input: AddAgentInput): Promise<AgentRecord> {
  const name = checkAgentName(input.name);
  const harness = (input.harness ?? 'claude') as AgentHarness;
  if (!AGENT_HARNESSES.includes(harness)) {
    throw new DaedalusError('INVALID_INPUT', `--harness ${input.harness} cannot run a persistent agent yet`, `use one of ${AGENT_HARNESSES.join(', ')}`);
  }
  let seed: string | null = null;
  if (input.seedFile) {
    try {
      seed = readFileSync(resolve(input.seedFile), 'utf8');
    } catch (e) {
      throw new DaedalusError('INVALID_INPUT', `--seed ${input.seedFile} cannot be read: ${(e as Error).message}`, 'give a readable text file');
    }
  }
  const record: AgentRecord = {
    name,
    harness,
    role: input.role?.trim() || 'coding',
    seed,
    sessionId: null,
    status: 'stopped',
    taskId: null,
    summary: 'no task yet',
    lastActiveAt: null,
    instanceId: null,
    tasksDone: 0,
    createdAt: input.now ?? Date.now(),
  };
  try {
    await store.kvSet(scope, agentKey(name), record as unknown as Json, { expectedVersion: 0, by: 'daedalus' });
  } catch (e) {
    if ((e as { code?: string }).code === 'VERSION_CONFLICT') throw new DaedalusError('INVALID_STATE', `agent "${name}" already exists`, `see it with: daedalus agents show ${name}`);
    throw e;
  }
  return record;
}

export async function getAgent(store: Store, scope: string, name: string): Promise<AgentRecord | null> {
  const e = await store.kvGet(scope, agentKey(name));
  return e ? (e.value as unknown as AgentRecord) : null;
}

export async function mustGetAgent(store: Store, scope: string, name: string): Promise<AgentRecord> {
  const a = await getAgent(store, scope, checkAgentName(name));
  if (!a) throw new DaedalusError('NOT_FOUND', `no agent named "${name}"`, `add one with: daedalus agents add ${name} --harness claude`);
  return a;
}

export async function listAgents(store: Store, scope: string): Promise<AgentRecord[]> {
  return (await store.kvList(scope, PREFIX, 1000)).map((e) => e.value as unknown as AgentRecord);
}

/** Read-modify-write under the record's version: a runner and a person changing it at once both count. */
export async function updateAgent(store: Store, scope: string, name: string, change: (a: AgentRecord) => Partial<AgentRecord>, by = 'daedalus'): Promise<AgentRecord> {
  for (;;) {
    const e = await store.kvGet(scope, agentKey(name));
    if (!e) throw new DaedalusError('NOT_FOUND', `no agent named "${name}"`, `add one with: daedalus agents add ${name} --harness claude`);
    const next = { ...(e.value as unknown as AgentRecord), ...change(e.value as unknown as AgentRecord) };
    try {
      await store.kvSet(scope, agentKey(name), next as unknown as Json, { expectedVersion: e.version, by });
      return next;
    } catch (err) {
      if ((err as { code?: string }).code !== 'VERSION_CONFLICT') throw err;
    }
  }
}

export async function removeAgent(store: Store, scope: string, name: string): Promise<boolean> {
  return store.kvDelete(scope, agentKey(checkAgentName(name)), { by: 'daedalus' });
}

/** The open tasks of one agent, oldest first: its queue. */
export async function agentQueue(store: Store, scope: string, name: string): Promise<Task[]> {
  const open = await store.listTasks(scope, { states: ['ready', 'leased', 'running'], limit: 10_000 });
  return open.filter((t) => t.assignee === agentAssignee(name)).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}
