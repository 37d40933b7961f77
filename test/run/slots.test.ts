import { describe, expect, it } from 'vitest';
import { expandEnv, slotEnv } from '../../src/executor/slots.js';
import { useRunWorld } from './helpers.js';

// Real runs on a loaded machine (2 cores, many engineers): each test gets three minutes.
describe('runtime isolation per attempt', () => {
  it('expands ${VAR} from the attempt\'s variables, keeps unknown names and $${…} literal', () => {
    const vars = { ...slotEnv(2, {}), HOME: '/h' };
    expect(vars).toEqual({ DAEDALUS_SLOT: '2', DAEDALUS_PORT_BASE: '20200', HOME: '/h' });
    expect(expandEnv({ PORT: '${DAEDALUS_PORT_BASE}', DB: 'postgres:///app_${DAEDALUS_SLOT}', X: '${NOPE}', Y: '$${DAEDALUS_SLOT}' }, vars)).toEqual({
      PORT: '20200',
      DB: 'postgres:///app_2',
      X: '${NOPE}',
      Y: '${DAEDALUS_SLOT}',
    });
    expect(slotEnv(1, { DAEDALUS_SLOT_PORT_START: '30000' }).DAEDALUS_PORT_BASE).toBe('30100');
  });

  const w = useRunWorld();

  it('two agents running at once get different slots and port blocks, and the plan\'s env uses them', { timeout: 180_000 }, async () => {
    // Each writes its marker and waits for the other's: both are alive at the same time.
    const meet = (me: string, other: string) => `touch ${w.dir}/${me}; for i in $(seq 200); do [ -e ${w.dir}/${other} ] && break; sleep 0.1; done; echo "$DAEDALUS_SLOT $DAEDALUS_PORT_BASE $PORT $DATABASE_URL" > ${me}.txt`;
    const plan = await w.plan(`
plan: slots
defaults:
  harness: shell
  strategy: parallel
  scope: "off"
  max_agents: 2
  max_attempts: 1
  env: { PORT: "\${DAEDALUS_PORT_BASE}", DATABASE_URL: "postgres:///app_\${DAEDALUS_SLOT}" }
packages:
  - id: a
    description: meets b
    run: '${meet('a', 'b')}'
  - id: b
    description: meets a
    run: '${meet('b', 'a')}'
`);
    const r = await w.run(plan, { runId: 'slots' });
    expect(r.report.tasks.map((t) => t.state), JSON.stringify(r.report.tasks.map((t) => t.error))).toEqual(['done', 'done']);
    const seen = await Promise.all(['a', 'b'].map(async (id) => (await w.repo.git(['show', `daedalus/slots/integration:${id}.txt`])).trim().split(' ')));
    expect(seen.map((s) => s[0]).sort()).toEqual(['0', '1']);
    for (const [slot, base, port, db] of seen) {
      expect(base).toBe(String(20_000 + Number(slot) * 100));
      expect(port).toBe(base);
      expect(db).toBe(`postgres:///app_${slot}`);
    }
  });
});
