import { describe, it } from 'vitest';
import { FAST, useRunWorld } from './helpers.js';
describe('x', () => {
  const w = useRunWorld();
  it('y', async () => {
    const plan = await w.plan(`
plan: idle
defaults: { ${FAST} }
packages:
  - id: mute
    description: says nothing after starting
    max_attempts: 1
    idle_timeout: 4s
    script: { behaviour: hang }
`);
    const r = await w.run(plan, { runId: 'idle', leaseMs: 1000 });
    console.log(r.report.tasks[0]);
    const ev = await w.events('idle');
    const t0 = ev[0]!.at;
    for (const e of ev) console.log(e.at - t0, e.type, e.taskId, JSON.stringify(e.data).slice(0, 100));
  });
});
