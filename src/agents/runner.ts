import { hostname } from 'node:os';
import type { Lease, Store } from '../bus/index.js';
import { bestEffort, describeError, warnToStderr } from '../common/index.js';
import { readSeed } from '../harness/index.js';
import { claudeTurn, type TurnResult } from './claude-turn.js';
import { agentClaimRole, mustGetAgent, updateAgent, type AgentRecord } from './registry.js';
import type { AgentPayload } from './route.js';

/**
 * The process that is a persistent agent: it takes the agent's tasks one at a time, in order,
 * and answers each in the agent's one ongoing session. It runs in the agent's tmux window (what
 * it prints is what a person watching sees) under a shell loop that starts it again if it dies;
 * the session id is on the bus, so the restarted runner resumes the same conversation.
 */

export interface ServeOptions {
  store: Store;
  scope: string;
  name: string;
  /** Where the agent works; also where its CLI keeps the session (sessions are per directory). */
  cwd: string;
  /** The agent CLI's environment. */
  env: Record<string, string>;
  signal: AbortSignal;
  leaseMs?: number;
  out?: (line: string) => void;
  /**
   * The bus address, for the agent CLI's own `daedalus mcp`: with it, a tool use that needs
   * permission becomes a request on the bus and the agent shows `blocked` until a person decides.
   */
  bus?: string;
}

/** The first turn of a new session: who the agent is and the seed, then the prompt. */
export function firstTurn(agent: AgentRecord, prompt: string, projectSeed: string | null = null): string {
  const intro = `You are ${agent.name}, a persistent agent of the Daedalus swarm (role: ${agent.role}). You keep this conversation across tasks: later prompts may refer to earlier ones. Answer each prompt directly; your answer is handed back to whoever asked.`;
  return [
    intro,
    // The project's founding context, as every worker gets it; then the agent's own.
    projectSeed ? `## The project seed\n${projectSeed.trim()}` : '',
    agent.seed ? `## Seed\n${agent.seed.trim()}` : '',
    `## Prompt\n${prompt}`,
  ]
    .filter(Boolean)
    .join('\n\n');
}

const oneLine = (s: string, n: number) => {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > n ? `${line.slice(0, n - 1)}…` : line;
};

async function work(o: ServeOptions, instanceId: string, lease: Lease, leaseMs: number, say: (l: string) => void): Promise<void> {
  const { store, scope, name } = o;
  const task = lease.task;
  const payload = task.payload as unknown as AgentPayload | null;
  const prompt = payload?.prompt ?? task.description;
  await store.startTask(task.id, lease.token, leaseMs);
  const agent = await updateAgent(store, scope, name, () => ({ status: 'working', taskId: task.id, lastActiveAt: Date.now() }), instanceId);
  say(`\n▶ ${task.id}: ${oneLine(prompt, 200)}`);

  // Cancelled (Ctrl-C in the editor hook) or taken away: stop the CLI at once.
  const stop = new AbortController();
  const onOuter = () => stop.abort();
  o.signal.addEventListener('abort', onOuter, { once: true });
  const renew = setInterval(() => {
    store.reportProgress(task.id, lease.token, leaseMs).catch(() => stop.abort());
  }, Math.max(1000, Math.floor(leaseMs / 3)));
  // Each turn's MCP server gets an instance of its own (the runner's is adopted by the runner), so
  // its permission requests are told apart from everyone else's.
  const turnInstance = o.bus
    ? await store.reserveInstance({ scope, role: 'worker', label: `agent:${name} task:${task.id}`, reservedBy: instanceId, taskId: task.id, fileRoot: o.cwd, leaseMs: 10 * 60_000 })
    : null;
  const blocked = turnInstance ? watchApprovals(o, turnInstance.id, instanceId, await store.lastEventId(scope), stop.signal, say) : Promise.resolve();
  const watcher = (async () => {
    let cursor = await store.lastEventId(scope);
    while (!stop.signal.aborted) {
      const t = await store.getTask(task.id);
      if (!t || t.attempt !== task.attempt || (t.state !== 'leased' && t.state !== 'running')) return stop.abort();
      const r = await store.waitForEvents(scope, { after: cursor, taskIds: [task.id], types: ['task.'], timeoutMs: 30_000, signal: stop.signal });
      cursor = r.cursor;
    }
  })().catch(() => undefined);

  let r: TurnResult;
  try {
    r = await claudeTurn({
      prompt: agent.sessionId ? prompt : firstTurn(agent, prompt, readSeed(scope)),
      sessionId: agent.sessionId,
      cwd: o.cwd,
      env: o.env,
      signal: stop.signal,
      ...(turnInstance && o.bus ? { approvals: { bus: o.bus, scope, instanceId: turnInstance.id } } : {}),
      onText: (text) => {
        say(text);
        void store.reportProgress(task.id, lease.token, leaseMs, oneLine(text, 200)).catch(() => undefined);
      },
    });
  } finally {
    clearInterval(renew);
    o.signal.removeEventListener('abort', onOuter);
  }
  const cancelled = stop.signal.aborted;
  stop.abort();
  await watcher;
  await blocked;
  if (turnInstance) await bestEffort('ending the turn\'s MCP instance', store.deregisterInstance(turnInstance.id, 'the turn ended'), warnToStderr);

  const sessionId = r.sessionId ?? agent.sessionId;
  if (r.ok) {
    await store.completeTask(task.id, lease.token, { agent: name, answer: r.answer, sessionId });
    say(`✔ ${oneLine(r.answer, 400)}`);
  } else if (cancelled && !o.signal.aborted) {
    say(`✖ ${task.id} was cancelled`);
  } else if (o.signal.aborted) {
    // The runner is stopping: the task goes back to the queue, not counted as an attempt.
    await bestEffort('giving the task back', store.yieldTask(task.id, lease.token, 'the agent runner stopped'), warnToStderr);
  } else {
    await bestEffort('failing the task', store.failTask(task.id, lease.token, { error: r.error ?? 'no answer', retryable: true, backoffMs: 1000 }), warnToStderr);
    say(`✖ ${r.error ?? 'no answer'}`);
  }
  await updateAgent(
    store,
    scope,
    name,
    (a) => ({
      status: 'idle',
      taskId: null,
      waitingFor: null,
      sessionId,
      lastActiveAt: Date.now(),
      ...(r.ok ? { tasksDone: a.tasksDone + 1, summary: `${oneLine(prompt, 60)} → ${oneLine(r.answer, 60)}` } : {}),
    }),
    instanceId,
  );
}

/**
 * `blocked` while a permission request of this turn waits for a person (with what it waits for),
 * `working` again once every one is decided. Driven by the bus's approval events, not by polling.
 */
async function watchApprovals(o: ServeOptions, turnInstanceId: string, by: string, after: number, stop: AbortSignal, say: (l: string) => void): Promise<void> {
  const { store, scope, name } = o;
  const pending = new Map<string, string>();
  let cursor = after;
  try {
    while (!stop.aborted) {
      const r = await store.waitForEvents(scope, { after: cursor, types: ['approval.'], timeoutMs: 30_000, signal: stop });
      cursor = r.cursor;
      let changed = false;
      for (const e of r.events) {
        if (e.type === 'approval.requested' && e.instanceId === turnInstanceId) {
          const d = e.data as { id: string; summary: string };
          pending.set(d.id, d.summary);
          say(`⏸ waiting for a person: ${d.summary} — daedalus approvals approve|deny ${d.id}`);
          changed = true;
        } else if (e.type === 'approval.decided' && pending.delete((e.data as { id: string }).id)) {
          say(`▶ ${(e.data as { status: string }).status} by ${(e.data as { by: string }).by}`);
          changed = true;
        }
      }
      if (!changed || stop.aborted) continue;
      const first = [...pending.entries()][0];
      await updateAgent(
        store,
        scope,
        name,
        () => (first ? { status: 'blocked', waitingFor: `approval ${first[0]}: ${first[1]}${pending.size > 1 ? ` (+${pending.size - 1} more)` : ''}` } : { status: 'working', waitingFor: null }),
        by,
      );
    }
  } catch (e) {
    if (!stop.aborted) warnToStderr(`${name}: watching its permission requests: ${describeError(e)}`);
  }
}

export async function serveAgent(o: ServeOptions): Promise<void> {
  const { store, scope, name } = o;
  const leaseMs = o.leaseMs ?? 60_000;
  const say = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  await mustGetAgent(store, scope, name);
  const inst = await store.registerInstance({ scope, role: 'agent', label: name, pid: process.pid, host: hostname(), meta: { agent: name } });
  await updateAgent(store, scope, name, () => ({ status: 'idle', instanceId: inst.id, taskId: null }), inst.id);
  say(`${name}: waiting for tasks (daedalus agents ask ${name} "…", or @${name} with Ctrl-G)`);
  try {
    let cursor = await store.lastEventId(scope);
    while (!o.signal.aborted) {
      const lease = await store.claimNext({ scope, owner: inst.id, role: agentClaimRole(name), leaseMs });
      if (lease) {
        await work(o, inst.id, lease, leaseMs, say);
        await store.heartbeat(inst.id, 'idle');
        continue;
      }
      const r = await store.waitForEvents(scope, { after: cursor, types: ['task.ready', 'task.retry'], timeoutMs: 10_000, signal: o.signal });
      cursor = r.cursor;
      if (r.timedOut && !o.signal.aborted) await store.heartbeat(inst.id, 'idle');
    }
  } catch (e) {
    say(`${name}: stopped by an error: ${describeError(e)}`);
    throw e;
  } finally {
    await bestEffort('marking the agent stopped', updateAgent(store, scope, name, () => ({ status: 'stopped', instanceId: null, taskId: null }), inst.id), warnToStderr);
    await bestEffort('leaving the bus', store.deregisterInstance(inst.id, 'the agent runner stopped'), warnToStderr);
  }
}
