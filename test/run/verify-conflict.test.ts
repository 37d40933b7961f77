import { describe, expect, it } from 'vitest';
import { byPackage, defaults, useRunWorld } from './helpers.js';

/** The verify command of these plans: no tracked .txt file may say BROKEN. */
const VERIFY = `"! git grep -q BROKEN -- '*.txt'"`;

// Real runs on a loaded machine (2 cores, many engineers): each test gets three minutes.
describe('the verify gate', () => {
  const w = useRunWorld();

  it('undoes a merge that breaks verify, records the output, and the next attempt fixes it; the branch stays green', { timeout: 180_000 }, async () => {
    const plan = await w.plan(`
plan: gate
defaults: ${defaults({ max_agents: '1', verify: `[${VERIFY}]` })}
packages:
  - id: good
    description: a change that keeps verify green
    script: { writes: { a.txt: "fine\\n" } }
  - id: broke
    description: breaks verify the first time, fixes it the second
    depends_on: [good]
    max_attempts: 2
    script: { until_attempt: 1, writes: { b.txt: "BROKEN\\n" }, later_writes: { b.txt: "fixed\\n" } }
`);
    const r = await w.run(plan, { runId: 'gate' });
    const byId = new Map(r.report.tasks.map((t) => [t.id, t]));
    expect(byId.get('good'), JSON.stringify(r.report.tasks)).toMatchObject({ state: 'done', attempts: 1 });
    expect(byId.get('broke'), JSON.stringify(r.report.tasks)).toMatchObject({ state: 'done', attempts: 2 });

    // The broken merge never stayed: one merge per package, and the head passes verify.
    const merges = (await w.integrationLog('gate')).filter((s) => s.startsWith('daedalus: integrate task '));
    expect(merges).toEqual(['daedalus: integrate task good', 'daedalus: integrate task broke']);
    expect(await w.repo.git(['show', 'daedalus/gate/integration:b.txt'])).toBe('fixed\n');
    await expect(w.repo.git(['grep', '-q', 'BROKEN', 'daedalus/gate/integration', '--', '*.txt'])).rejects.toThrow();

    const events = await w.events('gate');
    const verifies = events.filter((e) => e.type === 'run.verify').map((e) => e.data as { package: string; ok: boolean; duration_ms: number });
    expect(verifies.map((v) => `${v.package}:${v.ok}`)).toEqual(['good:true', 'broke:false', 'broke:true']);
    // The failure went to the fix attempt with the command and its output.
    const retry = byPackage('gate', events, 'task.retry').get('broke') ?? [];
    expect(retry).toHaveLength(1);
    expect((retry[0]!.data as { kind: string }).kind).toBe('verify');
    const decision = events.find((e) => e.type === 'run.decision' && (e.data as { kind: string }).kind === 'verify');
    const recorded = (decision?.data as unknown as { data: { verify: { command: string; output: string } } }).data.verify;
    expect(recorded.command).toContain('git grep');
    // The report carries verify time.
    expect(r.report.verify).toMatchObject({ runs: 3, failed: 1 });
    expect(r.report.verify.totalMs).toBe(verifies.reduce((n, v) => n + v.duration_ms, 0));
  });

  it('a package may name its own verify commands', { timeout: 180_000 }, async () => {
    const plan = await w.plan(`
plan: own
defaults: ${defaults({ max_agents: '1' })}
packages:
  - id: only
    description: verified by its own command, which fails for good
    max_attempts: 1
    verify: ["test -e never-there.txt"]
    script: { writes: { c.txt: "c\\n" } }
`);
    const r = await w.run(plan, { runId: 'own' });
    expect(r.report.tasks[0]).toMatchObject({ state: 'failed', failureKind: 'verify' });
    expect(r.report.tasks[0]!.error).toContain('test -e never-there.txt');
    const merges = (await w.integrationLog('own')).filter((s) => s.startsWith('daedalus: integrate task '));
    expect(merges).toEqual([]);
  });
});

describe('conflicts become work', () => {
  const w = useRunWorld();

  it('a conflicted package gets an attempt with the markers in its worktree, resolves them, and is merged again', { timeout: 180_000 }, async () => {
    // Whichever of the two merges second conflicts; its second attempt writes the resolution.
    const both = 'until_attempt: 1, later_writes: { shared.txt: "left\\nright\\n" }';
    const plan = await w.plan(`
plan: fixit
defaults: ${defaults({ max_agents: '2' })}
packages:
  - id: left
    description: writes shared.txt one way
    script: { behaviour: conflict-edit, duration: 200ms, writes: { shared.txt: "left\\n" }, ${both} }
  - id: right
    description: writes shared.txt another way
    script: { behaviour: conflict-edit, duration: 200ms, writes: { shared.txt: "right\\n" }, ${both} }
`);
    const r = await w.run(plan, { runId: 'fixit' });
    expect(r.report.tasks.map((t) => t.state), JSON.stringify(r.report.tasks)).toEqual(['done', 'done']);
    const loser = r.report.tasks.find((t) => t.attempts === 2)!;
    const winner = r.report.tasks.find((t) => t.attempts === 1)!;
    expect(loser).toBeDefined();
    expect(winner).toBeDefined();
    expect(await w.repo.git(['show', 'daedalus/fixit/integration:shared.txt'])).toBe('left\nright\n');
    const merges = (await w.integrationLog('fixit')).filter((s) => s.startsWith('daedalus: integrate task '));
    expect(merges).toEqual([`daedalus: integrate task ${winner.id}`, `daedalus: integrate task ${loser.id}`]);

    // The fix attempt started from the markers, committed on its branch...
    const branchLog = await w.repo.git(['log', '--format=%s', `daedalus/fixit/${loser.id}`]);
    expect(branchLog).toContain('conflict markers left in shared.txt');
    // ...and was told the path and the commits on both sides.
    const events = await w.events('fixit');
    const retry = (byPackage('fixit', events, 'task.retry').get(loser.id) ?? [])[0]!;
    expect((retry.data as { kind: string }).kind).toBe('conflict');
    const reason = (retry.data as { reason: string }).reason;
    expect(reason).toContain('shared.txt');
    const winnerCommit = (await w.repo.git(['log', '-n', '1', '--format=%h %s', `daedalus/fixit/${winner.id}`, '--', 'shared.txt'])).trim();
    expect(reason).toContain(winnerCommit.slice(0, 7));
    expect(reason).toContain(`${loser.id}: writes shared.txt`);
  });
});
