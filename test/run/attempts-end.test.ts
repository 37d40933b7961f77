import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, defaults, useRunWorld } from './helpers.js';

/** The ledger the scripted agents sign: `start TASK ATTEMPT PID`, and `overlap …` when one saw an earlier attempt alive. */
function ledgerLines(file: string): string[][] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(' ')) : [];
}

describe('an attempt ends when its task leaves its hands', () => {
  const w = useRunWorld();

  it('an agent that fails its task for a retry and lingers, deaf to SIGTERM, is dead before the retry starts', async () => {
    const ledger = join(w.home, 'ledger-fail');
    const plan = await w.plan(`
plan: linger-fail
defaults: ${defaults({ retry_backoff: '0s' })}
packages:
  - id: flaky
    description: fails itself once, asking for a retry, and does not exit
    max_attempts: 2
    env: { DAEDALUS_SCRIPT_LEDGER: "${ledger}", DAEDALUS_EXIT_GRACE: "200ms" }
    script: { behaviour: fail-and-linger, until_attempt: 1, duration: 100ms, writes: { flaky.txt: "ok\\n" } }
`);
    const r = await w.run(plan, { runId: 'linger-fail' });
    expect(r.report.tasks[0], JSON.stringify(r.report.tasks[0])).toMatchObject({ state: 'done', attempts: 2 });
    const lines = ledgerLines(ledger);
    expect(lines.filter((l) => l[0] === 'overlap')).toEqual([]);
    const starts = lines.filter((l) => l[0] === 'start');
    expect(starts.map((l) => l[2])).toEqual(['1', '2']);
    expect(alive(Number(starts[0]![3]))).toBe(false);
  });

  // Without the watcher, only the package's timeout (an hour here) would end this agent: the run would hang.
  it('an agent that completes its task and lingers is stopped, and the run ends with nothing of it left', async () => {
    const ledger = join(w.home, 'ledger-complete');
    const plan = await w.plan(`
plan: linger-done
defaults: ${defaults()}
packages:
  - id: chatty
    description: completes, then keeps running
    timeout: 1h
    idle_timeout: 1h
    env: { DAEDALUS_SCRIPT_LEDGER: "${ledger}", DAEDALUS_EXIT_GRACE: "200ms" }
    script: { behaviour: complete-and-linger, duration: 100ms, writes: { chatty.txt: "ok\\n" } }
`);
    const r = await w.run(plan, { runId: 'linger-done' });
    expect(r.report.tasks[0]).toMatchObject({ state: 'done', attempts: 1 });
    const [start] = ledgerLines(ledger);
    expect(alive(Number(start![3]))).toBe(false);
    const task = await (await w.store()).getTask('linger-done:chatty');
    expect(task?.process).toBeNull();
  });
});
