import type { Json, Store, Task } from '../bus/index.js';
import { DaedalusError } from '../common/index.js';
import { agentAssignee, agentQueue, listAgents, type AgentRecord } from './registry.js';

/**
 * Prompts reach a persistent agent as bus tasks assigned to it alone (executors never claim them),
 * so a busy agent queues them in the order they came and nothing is lost if its runner dies:
 * the lease lapses and the task is claimed again by the restarted runner.
 */

export const AGENT_TASK_TYPE = 'other';

export interface AgentPayload {
  agent: string;
  prompt: string;
}

/**
 * The agent a target names: an agent by name, else one whose role it is — the idle one first,
 * then the one with the shortest queue (ties: by name, so routing is repeatable).
 */
export async function routeTarget(store: Store, scope: string, target: string): Promise<AgentRecord> {
  const agents = await listAgents(store, scope);
  const named = agents.find((a) => a.name === target);
  if (named) return named;
  const byRole = agents.filter((a) => a.role === target);
  if (byRole.length === 0) {
    const known = agents.map((a) => `${a.name} (${a.role})`).join(', ') || 'none yet';
    throw new DaedalusError('NOT_FOUND', `no persistent agent is named or has the role "${target}"`, `agents: ${known}; add one with: daedalus agents add NAME --role ${target}`);
  }
  const queues = await Promise.all(byRole.map(async (a) => ({ a, queued: (await agentQueue(store, scope, a.name)).length })));
  queues.sort((x, y) => x.queued - y.queued || x.a.name.localeCompare(y.a.name));
  return queues[0]!.a;
}

export async function submitPrompt(store: Store, scope: string, target: string, prompt: string, by: string | null = null): Promise<{ agent: AgentRecord; task: Task }> {
  if (!prompt.trim()) throw new DaedalusError('INVALID_INPUT', 'the prompt is empty', 'write what the agent should do after @NAME');
  const agent = await routeTarget(store, scope, target);
  const payload: AgentPayload = { agent: agent.name, prompt };
  const task = await store.createTask(
    scope,
    {
      title: `@${agent.name}: ${prompt.trim().split('\n')[0]!.slice(0, 80)}`,
      description: prompt,
      type: AGENT_TASK_TYPE,
      assignee: agentAssignee(agent.name),
      integrate: false,
      maxAttempts: 3,
      payload: payload as unknown as Json,
    },
    by,
  );
  return { agent, task };
}

export interface Answer {
  task: Task;
  answer: string;
}

/**
 * Waits on the bus (no polling) until the task ends. A task that fails or is cancelled is an
 * error naming why. `onProgress` gets the agent's progress lines as they are reported.
 */
export async function waitForAnswer(store: Store, scope: string, taskId: string, opts: { signal?: AbortSignal; onProgress?: (text: string) => void } = {}): Promise<Answer> {
  let cursor = 0;
  for (;;) {
    const t = await store.getTask(taskId);
    if (!t) throw new DaedalusError('NOT_FOUND', `task ${taskId} is gone`);
    if (t.state === 'done') {
      const r = t.result as { answer?: unknown } | null;
      return { task: t, answer: typeof r?.answer === 'string' ? r.answer : '' };
    }
    if (t.state === 'failed' || t.state === 'cancelled') throw new DaedalusError('INVALID_STATE', `the agent's task ${taskId} ${t.state}${t.error ? `: ${t.error}` : ''}`);
    if (opts.signal?.aborted) throw new DaedalusError('INVALID_STATE', 'stopped waiting for the answer');
    const r = await store.waitForEvents(scope, { after: cursor, taskIds: [taskId], types: ['task.'], timeoutMs: 30_000, signal: opts.signal });
    cursor = r.cursor;
    for (const e of r.events) {
      const text = (e.data as { text?: unknown } | null)?.text;
      if (e.type === 'task.progress' && typeof text === 'string') opts.onProgress?.(text);
    }
  }
}
