import { describe, expect, test } from 'vitest';
import { addAgent, getAgent, serveAgent, submitPrompt, waitForAnswer } from '../../src/agents/index.js';
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

  test('unknown targets and bad names are clear errors', async () => {
    const store = await w.store();
    await expect(submitPrompt(store, w.scope, 'nobody', 'hi')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('"nobody"') });
    await expect(addAgent(store, w.scope, { name: 'Bad Name' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await addAgent(store, w.scope, { name: 'cy' });
    await expect(addAgent(store, w.scope, { name: 'cy' })).rejects.toMatchObject({ code: 'INVALID_STATE', message: 'agent "cy" already exists' });
  });
});
