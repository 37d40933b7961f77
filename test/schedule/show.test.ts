import { describe, expect, it } from 'vitest';
import { DaedalusError } from '../../src/common/errors.js';
import { planShow } from '../../src/schedule/index.js';
import { tempFiles } from '../plan/helpers.js';

const H = 3_600_000;

describe('plan show', () => {
  it('reports layers, critical path, bound and both makespans for the swarm-launcher example', async () => {
    const { report, text } = await planShow({ file: 'examples/swarm-launcher.yaml', agents: 2 });
    expect(report.layers.map((l) => l.map((p) => p.id))).toEqual([['wave1-p1', 'wave1-p2'], ['wave2a-phase1', 'wave2b-peer'], ['wave2a-phase2'], ['wave3-integration'], ['wave5-deletion']]);
    expect(report.criticalPath.totalMs).toBe(26 * H);
    expect(report.totalWorkMs).toBe(36 * H);
    expect(report.lowerBoundMs).toBe(26 * H);
    expect(report.makespan).toEqual({ oursMs: 26 * H, wavesMs: 28 * H });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(text).toContain('critical path  wave1-p1 → wave2a-phase1 → wave2a-phase2 → wave3-integration → wave5-deletion = 26h');
    expect(text).toContain('lower bound    26h on 2 agents');
    expect(text).toContain('makespan       ours 26h (1.00× bound), waves 28h (1.08× bound)');
    expect(text).toContain('   2  wave2a-phase1 6h [high], wave2b-peer 8h');
  });

  it('defaults to the plan\'s max_agents and marks estimates that are not from the plan', async () => {
    const cwd = await tempFiles({ 'p.yaml': 'defaults: { max_agents: 2 }\npackages:\n  - id: a\n    description: x\n  - id: b\n    description: y\n    estimate: 1h\n' });
    const { report, text } = await planShow({ file: 'p.yaml', cwd });
    expect(report.agents).toBe(2);
    expect(report.layers[0]?.map((p) => [p.id, p.estimateMs, p.estimateFrom])).toEqual([['a', 30 * 60_000, 'default'], ['b', H, 'plan']]);
    expect(text).toContain('a 30m*, b 1h');
  });

  it('refuses a bad agent count', async () => {
    await expect(planShow({ file: 'examples/map-reduce.yaml', agents: 0 })).rejects.toBeInstanceOf(DaedalusError);
  });
});
