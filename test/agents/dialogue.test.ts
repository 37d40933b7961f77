import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { addAgent, runDialogue, serveAgent, submitPrompt, waitForAnswer } from '../../src/agents/index.js';
import { seedCapture } from '../../src/harness/index.js';
import type { TurnContext } from '../helpers/model-server/index.js';
import { useE2eWorld } from '../e2e/helpers.js';

const w = useE2eWorld();

function agentEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DAEDALUS_')) env[k] = v;
  return { ...env, ...w.claudeEnv() };
}

/**
 * Each side answers with who it is, how many times it has spoken in its session, and the last
 * words it heard: so the transcript shows the two sessions really answered each other.
 */
function speaker(ctx: TurnContext) {
  if (/persistent agent of the Daedalus swarm/.test(ctx.prompt)) return { text: 'AGENT-READY' };
  const who = ctx.prompt.includes('You are Daedalus') ? 'DAEDALUS' : 'ICARUS';
  const spoken = ((ctx.body.messages ?? []) as { role?: string }[]).filter((m) => m.role === 'assistant').length;
  const heard = /(DAEDALUS|ICARUS)-\d+/.exec(ctx.lastUserText)?.[0] ?? 'nothing';
  return { text: `${who}-${spoken + 1} heard ${heard}` };
}

describe('seed dialogue: Daedalus and a nascent Icarus, real Claude Code against the scripted model', () => {
  test('three exchanges between two kept sessions; the captured seed holds both sides, and a persistent agent loads it', async () => {
    w.script([speaker]);
    const file = join(w.dir, 'dialogue.md');
    const lines: string[] = [];
    const r = await runDialogue({ scope: w.repo.root, exchanges: 3, env: agentEnv(), file, out: (l) => lines.push(l) });
    expect(r.turns.map((t) => `${t.speaker}: ${t.text}`)).toEqual([
      'Daedalus: DAEDALUS-1 heard nothing',
      'Icarus: ICARUS-1 heard DAEDALUS-1',
      'Daedalus: DAEDALUS-2 heard ICARUS-1',
      'Icarus: ICARUS-2 heard DAEDALUS-2',
      'Daedalus: DAEDALUS-3 heard ICARUS-2',
      'Icarus: ICARUS-3 heard DAEDALUS-3',
    ]);
    // Each side's third request carried its whole conversation so far (its session was resumed).
    const lastIcarus = w.server.turns().find((t) => /DAEDALUS-3/.test(t.ctx!.lastUserText))!;
    expect(JSON.stringify(lastIcarus.ctx!.body)).toContain('ICARUS-1 heard DAEDALUS-1');
    expect(lines.join('\n')).toContain('Icarus: ICARUS-3 heard DAEDALUS-3');

    const seed = await seedCapture({ repo: w.repo.root, file });
    expect(seed.text).toContain('**Daedalus:** DAEDALUS-1 heard nothing');
    expect(seed.text).toContain('**Icarus:** ICARUS-3 heard DAEDALUS-3');
    expect(readFileSync(seed.path, 'utf8')).toBe(readFileSync(file, 'utf8'));

    // A persistent agent's first turn carries the project seed (workers' prompts do too: see the harness tests).
    const store = await w.store();
    await addAgent(store, w.scope, { name: 'eve' });
    const ac = new AbortController();
    const done = serveAgent({ store, scope: w.scope, name: 'eve', cwd: w.repo.root, env: agentEnv(), signal: ac.signal, out: () => undefined });
    const { task } = await submitPrompt(store, w.scope, 'eve', 'are you there?');
    expect((await waitForAnswer(store, w.scope, task.id)).answer).toBe('AGENT-READY');
    ac.abort();
    await done;
    const agentReq = w.server.turns().find((t) => /persistent agent of the Daedalus swarm/.test(t.ctx!.prompt))!;
    expect(agentReq.ctx!.prompt).toContain('## The project seed');
    expect(agentReq.ctx!.prompt).toContain('**Icarus:** ICARUS-3 heard DAEDALUS-3');
    expect(w.server.problems).toEqual([]);
  });

  test('a number of exchanges out of range is a clear error', async () => {
    await expect(runDialogue({ scope: w.repo.root, exchanges: 0, env: agentEnv(), file: join(w.dir, 'x.md') })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
