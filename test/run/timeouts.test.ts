import { describe, expect, it } from 'vitest';
import { scriptHarness } from '../../src/harness/script.js';
import type { Harness } from '../../src/harness/index.js';
import { alive, byPackage, defaults, groupGone, useRunWorld } from './helpers.js';

/** The script harness, remembering each agent's process group. */
function recording(groups: number[]): Harness {
  return {
    ...scriptHarness,
    async launch(spec) {
      const p = await scriptHarness.launch(spec);
      groups.push(p.pgid);
      return p;
    },
  };
}

describe('timeouts', () => {
  const w = useRunWorld();

  it('kills a silent agent at its idle timeout, keeping its lease meanwhile, and leaves no process behind', async () => {
    const plan = await w.plan(`
plan: idle
defaults: ${defaults()}
packages:
  - id: mute
    description: says nothing after starting
    max_attempts: 1
    idle_timeout: 8s
    script: { behaviour: hang }
`);
    const groups: number[] = [];
    // A lease shorter than the idle timeout: the overseer must keep it, or the task would go back
    // to ready (and to another attempt) while this agent still runs. Renewed every third of it: 3 s
    // leaves a loaded machine's supervisor seconds of slack, where 1 s left it none.
    const r = await w.run(plan, { runId: 'idle', leaseMs: 3000, harnesses: { script: recording(groups) } });
    const t = r.report.tasks[0]!;
    expect(t, JSON.stringify(t)).toMatchObject({ state: 'failed', failureKind: 'timeout', attempts: 1 });
    expect(t.error).toMatch(/^idle: no output and no progress for 8s/);
    expect(groups).toHaveLength(1);
    expect(groupGone(groups[0]!)).toBe(true);
    // The agent's MCP server was part of its group and went with it.
    const adopted = (await w.events('idle')).filter((e) => e.type === 'instance.adopted');
    for (const e of adopted) expect(alive(Number((e.data as { pid: number }).pid))).toBe(false);
    expect(byPackage('idle', await w.events('idle'), 'task.running').get('mute')).toHaveLength(1);
  });

  it('kills an agent that keeps reporting progress at its wall-clock timeout', async () => {
    const plan = await w.plan(`
plan: wall
defaults: ${defaults()}
packages:
  - id: busy
    description: reports progress forever
    max_attempts: 1
    timeout: 12s
    idle_timeout: 1h
    script: { behaviour: slow, duration: 1h }
`);
    const groups: number[] = [];
    const r = await w.run(plan, { runId: 'wall', harnesses: { script: recording(groups) } });
    const t = r.report.tasks[0]!;
    expect(t, JSON.stringify(t)).toMatchObject({ state: 'failed', failureKind: 'timeout' });
    expect(t.error).toMatch(/^ran past its timeout of 12s/);
    // It was alive the whole time, reporting progress (that this keeps the idle timeout away is
    // the overseer's unit test, on a clock of its own). 12 s, not 3: an agent starting on a loaded
    // machine can take seconds before its first report.
    const progress = (await w.events('wall')).filter((e) => e.type === 'task.progress');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(t.durationMs).toBeGreaterThanOrEqual(12_000);
    expect(groupGone(groups[0]!)).toBe(true);
  });
});
