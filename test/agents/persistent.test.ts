import { describe, expect, test } from 'vitest';
import { decideApproval, listApprovals } from '../../src/approvals/index.js';
import { controlStatus } from '../../src/control/index.js';
import { addAgent, getAgent, serveAgent, submitPrompt, waitForAnswer, type AgentRecord } from '../../src/agents/index.js';
import type { Store } from '../../src/bus/index.js';
import type { TurnContext } from '../helpers/model-server/index.js';
import { useE2eWorld } from '../e2e/helpers.js';

const w = useE2eWorld();

/** The scripted model answers from the latest prompt, so each task's answer is recognisable. */
const answers = (ctx: TurnContext) =>
  /second question/.test(ctx.lastUserText) ? { text: 'SECOND-ANSWER: the parser is in src/plan, as I said.' } : { text: 'FIRST-ANSWER: the parser lives in src/plan.' };

function agentEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DAEDALUS_')) env[k] = v;
  return { ...env, ...w.claudeEnv() };
}

describe('persistent named agents, real Claude Code against the scripted model', () => {
  test('two tasks in one session: the second request carries the first conversation, also after the runner was restarted', async () => {
    w.script([answers]);
    const store = await w.store();
    await addAgent(store, w.scope, { name: 'ada', role: 'review' });
    const lines: string[] = [];
    const serve = () => {
      const ac = new AbortController();
      const done = serveAgent({ store, scope: w.scope, name: 'ada', cwd: w.repo.root, env: agentEnv(), signal: ac.signal, out: (l) => lines.push(l) });
      return { stop: async () => (ac.abort(), done) };
    };

    // Routed by role: the only reviewer is ada.
    const first = await submitPrompt(store, w.scope, 'review', 'first question: where is the parser?');
    expect(first.agent.name).toBe('ada');
    const runnerA = serve();
    const a1 = await waitForAnswer(store, w.scope, first.task.id);
    expect(a1.answer).toBe('FIRST-ANSWER: the parser lives in src/plan.');
    const afterFirst = await getAgent(store, w.scope, 'ada');
    expect(afterFirst).toMatchObject({ status: 'idle', tasksDone: 1, taskId: null });
    expect(afterFirst!.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    // The runner "dies"; the task given meanwhile waits in the agent's queue on the bus.
    await runnerA.stop();
    expect(await getAgent(store, w.scope, 'ada')).toMatchObject({ status: 'stopped', instanceId: null });
    const second = await submitPrompt(store, w.scope, 'ada', 'second question: and where did you say it was?');
    const runnerB = serve();
    const a2 = await waitForAnswer(store, w.scope, second.task.id);
    await runnerB.stop();
    expect(a2.answer).toBe('SECOND-ANSWER: the parser is in src/plan, as I said.');

    const turns = w.server.turns();
    const firstReq = turns.find((t) => /first question/.test(t.ctx!.lastUserText))!;
    const secondReq = turns.find((t) => /second question/.test(t.ctx!.lastUserText))!;
    // The first turn of the session carries the agent's identity; the second is only the prompt...
    expect(firstReq.ctx!.lastUserText).toContain('You are ada, a persistent agent of the Daedalus swarm (role: review)');
    expect(secondReq.ctx!.lastUserText).not.toContain('You are ada');
    // ...yet the model request carries the whole first exchange: the context was kept.
    const body = JSON.stringify(secondReq.body);
    expect(body).toContain('first question: where is the parser?');
    expect(body).toContain('FIRST-ANSWER: the parser lives in src/plan.');
    const end = await getAgent(store, w.scope, 'ada');
    expect(end).toMatchObject({ tasksDone: 2, sessionId: afterFirst!.sessionId, status: 'stopped' });
    expect(end!.summary).toContain('second question');
    expect(w.server.problems).toEqual([]);
    expect(lines.join('\n')).toContain('✔ SECOND-ANSWER');
  });

  test('a busy agent queues tasks in the order they came; executors never take them', async () => {
    w.script([answers]);
    const store = await w.store();
    await addAgent(store, w.scope, { name: 'bob' });
    const t1 = await submitPrompt(store, w.scope, 'bob', 'first question');
    const t2 = await submitPrompt(store, w.scope, 'bob', 'second question');
    // An executor claiming every ready task of the scope gets neither.
    const exec = await store.registerInstance({ scope: w.scope, role: 'executor' });
    expect(await store.claimNext({ scope: w.scope, owner: exec.id, leaseMs: 60_000 })).toBeNull();
    const ac = new AbortController();
    const done = serveAgent({ store, scope: w.scope, name: 'bob', cwd: w.repo.root, env: agentEnv(), signal: ac.signal, out: () => undefined });
    const [r1, r2] = await Promise.all([waitForAnswer(store, w.scope, t1.task.id), waitForAnswer(store, w.scope, t2.task.id)]);
    ac.abort();
    await done;
    expect(r1.task.finishedAt!).toBeLessThanOrEqual(r2.task.startedAt!);
    expect(r2.answer).toContain('SECOND-ANSWER');
  });

  test('a turn that needs permission: the agent is blocked on the request (saying which) until a person decides, then working, then idle', async () => {
    w.script([
      (ctx) => (/run the check/.test(ctx.lastUserText) ? { calls: [{ tool: 'Bash', input: { command: `node -e "console.log('permitted-check')"`, description: 'the check' } }] } : { text: 'unexpected' }),
      (ctx) => ({ text: `CHECK-RAN: ${ctx.results[0]?.text.trim() ?? 'no result'}` }),
    ]);
    const store = await w.store();
    await addAgent(store, w.scope, { name: 'dee', role: 'testing' });
    const ac = new AbortController();
    const lines: string[] = [];
    const done = serveAgent({ store, scope: w.scope, name: 'dee', cwd: w.repo.root, env: agentEnv(), signal: ac.signal, out: (l) => lines.push(l), bus: w.bus });
    try {
      const { task } = await submitPrompt(store, w.scope, 'dee', 'run the check, please');
      const blocked = await agentBecomes(store, 'dee', (a) => a.status === 'blocked');
      const [request] = await listApprovals(store, w.scope);
      expect(request).toMatchObject({ tool: 'Bash', status: 'pending' });
      expect(blocked).toMatchObject({ status: 'blocked', taskId: task.id });
      expect(blocked.waitingFor).toContain(`approval ${request!.id}`);
      expect(blocked.waitingFor).toContain('Bash(node -e');
      // `daedalus status` says so too.
      const s = await controlStatus(store, w.scope);
      expect(s.agents).toEqual([expect.objectContaining({ name: 'dee', status: 'blocked', waitingFor: blocked.waitingFor })]);

      await decideApproval(store, w.scope, request!.id, 'allow', { by: 'a person' });
      const working = await agentBecomes(store, 'dee', (a) => a.status !== 'blocked');
      expect(working).toMatchObject({ waitingFor: null });
      const answer = await waitForAnswer(store, w.scope, task.id);
      expect(answer.answer).toBe('CHECK-RAN: permitted-check');
      expect(await getAgent(store, w.scope, 'dee')).toMatchObject({ status: 'idle', waitingFor: null });
      expect(lines.join('\n')).toContain('waiting for a person');
    } finally {
      ac.abort();
      await done;
    }
  });

  test('unknown targets and bad names are clear errors', async () => {
    const store = await w.store();
    await expect(submitPrompt(store, w.scope, 'nobody', 'hi')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('"nobody"') });
    await expect(addAgent(store, w.scope, { name: 'Bad Name' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await addAgent(store, w.scope, { name: 'cy' });
    await expect(addAgent(store, w.scope, { name: 'cy' })).rejects.toMatchObject({ code: 'INVALID_STATE', message: 'agent "cy" already exists' });
  });
});

/** The agent's record once `ok` holds, waiting on the bus's kv events (the record is a kv entry). */
async function agentBecomes(store: Store, name: string, ok: (a: AgentRecord) => boolean): Promise<AgentRecord> {
  let cursor = 0;
  for (;;) {
    const a = await getAgent(store, w.scope, name);
    if (a && ok(a)) return a;
    const r = await store.waitForEvents(w.scope, { after: cursor, types: ['kv.'], timeoutMs: 30_000 });
    if (r.timedOut) throw new Error(`agent ${name} never got there; last: ${JSON.stringify(a)}`);
    cursor = r.cursor;
  }
}
