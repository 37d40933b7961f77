import { describe, expect, it } from 'vitest';
import { loadRunRecord } from '../../src/run/index.js';
import { agentGroups, CliRun } from './cli-run.js';
import { byPackage, defaults, groupGone, runningPeriods, useRunWorld, waitFor } from './helpers.js';

const PLAN = `
plan: resumable
defaults: ${defaults({ max_agents: '3' })}
packages:
  - id: quick
    description: done before the supervisor goes
    script: { duration: 200ms, writes: { quick.txt: "q\\n" } }
  - id: long
    description: still running when it goes
    script: { behaviour: slow, duration: 4s, writes: { long.txt: "l\\n" } }
  - id: after-quick
    description: starts once quick is merged, still running when it goes
    depends_on: [quick]
    script: { behaviour: slow, duration: 4s, writes: { after-quick.txt: "a\\n" } }
  - id: last
    description: needs everything
    depends_on: [long, after-quick]
    script: { duration: 200ms, writes: { last.txt: "z\\n" } }
`;
const IDS = ['quick', 'long', 'after-quick', 'last'];

describe('a supervisor that stops mid-run', () => {
  const w = useRunWorld();

  /** Starts the CLI on the plan and waits until quick is done and two agents are running. */
  async function startMidRun(runId: string): Promise<{ cli: CliRun; groups: number[] }> {
    const plan = await w.plan(PLAN);
    const cli = new CliRun([plan, '--bus', w.bus, '--repo', w.repo.root, '--run-id', runId], { cwd: w.repo.root, home: w.home });
    const store = await w.store();
    const groups = await waitFor(
      'quick done and two agents running',
      async () => {
        if (!cli.running) throw new Error(`the supervisor exited early:\n${cli.stdout}\n${cli.stderr}`);
        const t = await w.tasks(runId);
        if (t.get('quick')?.state !== 'done' || t.get('long')?.state !== 'running' || t.get('after-quick')?.state !== 'running') return null;
        const g = await agentGroups(store, w.scope, runId);
        return g.length === 2 ? g : null;
      },
      30_000,
      50,
    );
    return { cli, groups };
  }

  async function checkFinishedOnce(runId: string): Promise<void> {
    const events = await w.events(runId);
    const done = byPackage(runId, events, 'task.done');
    for (const id of IDS) expect(done.get(id), `${id} done once`).toHaveLength(1);
    // runningPeriods fails on a second task.running while one is open: no attempt overlapped another.
    const periods = runningPeriods(runId, events);
    for (const id of IDS) expect(periods.get(id)?.length, id).toBeGreaterThan(0);
    const merges = (await w.integrationLog(runId)).filter((s) => s.startsWith('daedalus: integrate task '));
    expect(merges.map((s) => s.slice('daedalus: integrate task '.length)).sort()).toEqual([...IDS].sort());
  }

  it('SIGKILLed: its agents die with it, and --resume finishes every task exactly once', async () => {
    const { cli, groups } = await startMidRun('killed');
    await expect(w.run('', { resume: 'killed', plan: undefined })).rejects.toThrow(/still supervised/);
    cli.kill('SIGKILL');
    await cli.exited;
    // The guards see the supervisor's pipe close and take their agents' groups down.
    await waitFor('the agents to die', () => groups.every(groupGone), 5000, 50);

    const r = await w.run('', { resume: 'killed', plan: undefined });
    expect(r.report.status, JSON.stringify(r.report.tasks, null, 2)).toBe('done');
    await checkFinishedOnce('killed');
    // The cut-off attempts were redone; quick, merged before the kill, was not.
    const running = byPackage('killed', await w.events('killed'), 'task.running');
    expect(running.get('quick')).toHaveLength(1);
    expect(running.get('long')).toHaveLength(2);
    expect(running.get('after-quick')).toHaveLength(2);
    // Dying was the supervisor's failure, not theirs: the redo is the same attempt.
    const after = await w.tasks('killed');
    for (const id of IDS) expect(after.get(id)!.attempt, id).toBe(1);
    const record = await loadRunRecord(await w.store(), w.scope, 'killed');
    expect(record.status).toBe('done');
    expect(record.supervisors).toHaveLength(2);
  });

  it('Ctrl-C: stops its agents, leaves the run interrupted with the tasks ready, and --resume completes it', async () => {
    const { cli, groups } = await startMidRun('interrupted');
    const stoppedAt = Date.now();
    cli.kill('SIGINT');
    const exit = await cli.exited;
    expect(Date.now() - stoppedAt).toBeLessThan(8000);
    expect(exit.code, cli.stderr).toBe(1);
    expect(cli.stderr).toContain('stopping');
    expect(cli.stdout).toContain('resume with: daedalus run --resume interrupted');
    expect(groups.every(groupGone)).toBe(true);

    const store = await w.store();
    expect((await loadRunRecord(store, w.scope, 'interrupted')).status).toBe('interrupted');
    const t = await w.tasks('interrupted');
    expect(t.get('quick')!.state).toBe('done');
    for (const id of ['long', 'after-quick']) {
      // Back to ready on the same attempt: being stopped is not the task's failure.
      expect(t.get(id), id).toMatchObject({ state: 'ready', attempt: 1 });
    }
    expect(t.get('last')!.state).toBe('blocked');
    expect(byPackage('interrupted', await w.events('interrupted'), 'task.yielded').size).toBe(2);

    const r = await w.run('', { resume: 'interrupted', plan: undefined });
    expect(r.report.status).toBe('done');
    await checkFinishedOnce('interrupted');
    const after = await w.tasks('interrupted');
    for (const id of IDS) expect(after.get(id)!.attempt, id).toBe(1);
    expect((await loadRunRecord(store, w.scope, 'interrupted')).status).toBe('done');
  });

  it('Ctrl-C while a worktree is being set up: that agent is never started', async () => {
    const plan = await w.plan(`
plan: early-stop
defaults: ${defaults({ setup: '{ command: "sleep 1.5" }' })}
packages:
  - id: slowpoke
    description: would run for a long time
    script: { behaviour: slow, duration: 20s }
`);
    const ac = new AbortController();
    const running = w.run(plan, { runId: 'early-stop', signal: ac.signal });
    await waitFor('the task to be claimed', async () => (await w.tasks('early-stop')).get('slowpoke')?.state === 'leased', 10_000, 20);
    ac.abort();
    const r = await running;
    expect(r.report.status).toBe('interrupted');
    expect((await w.tasks('early-stop')).get('slowpoke')).toMatchObject({ state: 'ready', attempt: 1 });
    expect(byPackage('early-stop', await w.events('early-stop'), 'task.running').size).toBe(0);
  });
});
