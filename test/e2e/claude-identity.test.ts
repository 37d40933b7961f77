import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { seedCapture } from '../../src/harness/seed.js';
import { openStore } from '../../src/bus/index.js';
import { claudeHarness } from '../../src/harness/claude/index.js';
import type { TurnContext } from '../helpers/model-server/index.js';
import { recording, useE2eWorld } from './helpers.js';

const w = useE2eWorld();

describe('claude harness: identity and continuity', () => {
  test("the project seed is in the agent's first request, and the agent signs the guestbook", async () => {
    const transcript = join(w.dir, 'founding.jsonl');
    const lines = [
      { type: 'user', message: { role: 'user', content: 'Icarus, the wings hold if you keep to the middle course. SEED-MARKER-7f3a' } },
      { type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: 'I understand why the middle course matters.' }] } },
    ];
    await import('node:fs/promises').then((fs) => fs.writeFile(transcript, lines.map((l) => JSON.stringify(l)).join('\n')));
    await seedCapture({ repo: w.repo.root, file: transcript });

    w.script([
      { calls: [{ tool: 'daedalus:sign_guestbook', input: { text: 'Kept to the middle course.' } }] },
      { calls: [{ tool: 'daedalus:complete_task', input: { summary: 'signed' } }] },
      { text: 'Done.' },
    ]);
    const plan = w.plan({
      plan: 'seeded',
      defaults: { harness: 'claude', max_attempts: 1, timeout: '60s', env: w.claudeEnv() },
      packages: [{ id: 'sign', description: 'Sign the guestbook.' }],
    });
    const result = await w.run(plan);
    expect(result.report.status).toBe('done');
    const first = w.server.turns()[0]!.ctx!.prompt;
    expect(first).toContain('## Founding context from Daedalus');
    expect(first).toContain('**Daedalus:** Icarus, the wings hold if you keep to the middle course. SEED-MARKER-7f3a');
    expect(first).toContain('**Icarus:** I understand why the middle course matters.');
    // The seed comes before the task.
    expect(first.indexOf('SEED-MARKER')).toBeLessThan(first.indexOf('Sign the guestbook.'));

    const book = readFileSync(join(w.repo.root, 'ICARUS_GUESTBOOK.md'), 'utf8');
    expect(book).toMatch(/^# Icarus guestbook/);
    expect(book).toMatch(new RegExp(`## \\d{4}-\\d\\d-\\d\\dT[^\\n]* — i-[^ ]+ \\(task ${result.runId}:sign, run ${result.runId}\\)\\n\\nKept to the middle course\\.`));
    const store = await openStore(w.bus);
    try {
      expect((await store.kvGet(w.scope, 'daedalus:guestbook'))?.value).toEqual([expect.objectContaining({ text: 'Kept to the middle course.', task: `${result.runId}:sign` })]);
    } finally {
      await store.close();
    }
  });

  test('a retry resumes the previous attempt’s Claude Code session', async () => {
    w.script([
      { calls: [{ tool: 'daedalus:report_progress', input: { text: 'first attempt, reading' } }] },
      (ctx: TurnContext) =>
        /attempt 2/.test(ctx.lastUserText)
          ? { calls: [{ tool: 'daedalus:complete_task', input: { summary: 'finished on the second attempt' } }] }
          : { text: 'Out of ideas for now.' },
      { text: 'Done.' },
    ]);
    const rec = recording(claudeHarness);
    const plan = w.plan({
      plan: 'resumed',
      defaults: { harness: 'claude', max_attempts: 2, retry_backoff: '100ms', timeout: '60s', env: w.claudeEnv() },
      packages: [{ id: 'again', description: 'Try, and try again.' }],
    });
    const result = await w.run(plan, { harnesses: { claude: rec.harness } });
    expect(result.report.status).toBe('done');
    expect(result.report.tasks[0]!.attempts).toBe(2);
    const sessions = rec.events.filter((e) => e.kind === 'session').map((e) => (e.kind === 'session' ? e.id : ''));
    // One conversation across both attempts: the second request of attempt 2 still holds attempt 1's turns.
    expect(new Set(sessions).size).toBe(1);
    const resumed = w.server.turns().find((t) => /attempt 2/.test(t.ctx!.lastUserText))!;
    expect(resumed.ctx!.prompt).toContain('Try, and try again.');
    expect(JSON.stringify(resumed.body)).toContain('first attempt, reading');
  });
});
