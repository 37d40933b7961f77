import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BusEvent } from '../../src/bus/index.js';
import { byPackage, defaults, useRunWorld, waitFor, type RunWorld } from './helpers.js';

/**
 * How these tests make a batch without timing: the first verify run announces itself (touches
 * `opened`) and then waits for `gate`. Every package but `opener` waits for `opened` before it
 * completes, so all of them complete while that first verify runs; the test opens the gate once
 * the bus shows each of them queued for the next batch.
 */
function gatedVerify(w: RunWorld): { verify: string; opened: string; gate: string } {
  const opened = join(w.dir, 'opened');
  const gate = join(w.dir, 'gate');
  const hold = `touch ${opened}; while [ ! -f ${gate} ]; do sleep 0.1; done`;
  const green = `! git grep -q BROKEN -- '*.txt'`;
  return { verify: `["${hold}", "${green}"]`, opened, gate };
}

const queued = (events: BusEvent[]) => events.filter((e) => e.type === 'run.decision' && (e.data as { kind: string }).kind === 'verify-batch');

type VerifyEvent = { package: string; packages?: string[]; ok: boolean; duration_ms: number };
const verifies = (events: BusEvent[]) => events.filter((e) => e.type === 'run.verify').map((e) => e.data as VerifyEvent);

async function openGateWhenQueued(w: RunWorld, runId: string, gate: string, count: number): Promise<void> {
  await waitFor(`${count} merges queued for the next batch`, async () => queued(await w.events(runId)).length >= count, 120_000, 200);
  await writeFile(gate, '');
}

// Real runs on a loaded machine (2 cores, many engineers): each test gets four minutes.
describe('verify_after: batch', () => {
  const w = useRunWorld();

  it('verifies merges that queued up together once: fewer verify runs than merges, all of them kept', { timeout: 240_000 }, async () => {
    const g = gatedVerify(w);
    const goods = ['p1', 'p2', 'p3', 'p4'];
    const plan = await w.plan(`
plan: batched
defaults: ${defaults({ max_agents: '5', verify: g.verify, verify_after: 'batch', verify_timeout: '3m' })}
packages:
  - id: opener
    description: merged first, alone
    script: { writes: { opener.txt: "open\\n" } }
${goods.map((id) => `  - id: ${id}\n    description: an independent change\n    script: { writes: { ${id}.txt: "${id}\\n" }, wait_for: ${g.opened} }\n`).join('')}`);
    const running = w.run(plan, { runId: 'batched' });
    await openGateWhenQueued(w, 'batched', g.gate, goods.length);
    const r = await running;
    expect(r.report.tasks.map((t) => t.state), JSON.stringify(r.report.tasks)).toEqual(['done', 'done', 'done', 'done', 'done']);

    const merges = (await w.integrationLog('batched')).filter((s) => s.startsWith('daedalus: integrate task '));
    expect(merges[0]).toBe('daedalus: integrate task opener');
    expect([...merges].sort()).toEqual(['opener', ...goods].map((id) => `daedalus: integrate task ${id}`).sort());

    // Two verify runs for five merges: the opener alone, then the four that queued behind it.
    const runs = verifies(await w.events('batched'));
    expect(runs.map((v) => [...(v.packages ?? [v.package])].sort())).toEqual([['opener'], goods]);
    expect(runs.every((v) => v.ok)).toBe(true);
    expect(r.report.verify).toMatchObject({ runs: 2, merges: 5, failed: 0 });
    expect(r.report.verify.runs).toBeLessThan(merges.length);
  });

  it('a failed batch is undone and bisected: the breaker becomes a fix task, the good merges stay, the branch ends green', { timeout: 240_000 }, async () => {
    const g = gatedVerify(w);
    const plan = await w.plan(`
plan: bisect
defaults: ${defaults({ max_agents: '4', verify: g.verify, verify_after: 'batch', verify_timeout: '3m' })}
packages:
  - id: opener
    description: merged first, alone
    script: { writes: { opener.txt: "open\\n" } }
  - id: good1
    description: a good change
    script: { writes: { good1.txt: "fine\\n" }, wait_for: ${g.opened} }
  - id: breaker
    description: breaks verify the first time, fixes it the second
    max_attempts: 2
    script: { until_attempt: 1, writes: { broke.txt: "BROKEN\\n" }, later_writes: { broke.txt: "fixed\\n" }, wait_for: ${g.opened} }
  - id: good2
    description: another good change
    script: { writes: { good2.txt: "fine\\n" }, wait_for: ${g.opened} }
`);
    const running = w.run(plan, { runId: 'bisect' });
    await openGateWhenQueued(w, 'bisect', g.gate, 3);
    const r = await running;
    const byId = new Map(r.report.tasks.map((t) => [t.id, t]));
    for (const id of ['opener', 'good1', 'good2']) expect(byId.get(id), JSON.stringify(r.report.tasks)).toMatchObject({ state: 'done', attempts: 1 });
    expect(byId.get('breaker'), JSON.stringify(r.report.tasks)).toMatchObject({ state: 'done', attempts: 2 });

    // Each package merged once on the branch (the failed batch's merges never reached it), and its head is green.
    const merges = (await w.integrationLog('bisect')).filter((s) => s.startsWith('daedalus: integrate task '));
    expect([...merges].sort()).toEqual(['breaker', 'good1', 'good2', 'opener'].map((id) => `daedalus: integrate task ${id}`));
    expect(merges.at(-1)).toBe('daedalus: integrate task breaker');
    expect(await w.repo.git(['show', 'daedalus/bisect/integration:broke.txt'])).toBe('fixed\n');
    await expect(w.repo.git(['grep', '-q', 'BROKEN', 'daedalus/bisect/integration', '--', '*.txt'])).rejects.toThrow();

    const events = await w.events('bisect');
    const runs = verifies(events);
    // opener alone; the batch of three fails; each of the three alone (only the breaker fails); the fix.
    const failedBatch = runs.find((v) => (v.packages?.length ?? 0) === 3);
    expect(failedBatch, JSON.stringify(runs)).toMatchObject({ ok: false });
    expect([...failedBatch!.packages!].sort()).toEqual(['breaker', 'good1', 'good2']);
    const alone = runs.filter((v) => v.packages === undefined);
    expect(alone.map((v) => `${v.package}:${v.ok}`).sort()).toEqual(['breaker:false', 'good1:true', 'good2:true']);
    expect(runs.at(-1)).toMatchObject({ packages: ['breaker'], ok: true });
    expect(r.report.verify).toMatchObject({ runs: 6, failed: 2 });

    // The breaker's failure went to its next attempt, which is the fix task.
    const retry = byPackage('bisect', events, 'task.retry').get('breaker') ?? [];
    expect(retry).toHaveLength(1);
    expect((retry[0]!.data as { kind: string }).kind).toBe('verify');
    expect(byPackage('bisect', events, 'task.retry').get('good1')).toBeUndefined();
    expect(byPackage('bisect', events, 'task.retry').get('good2')).toBeUndefined();
  });
});
