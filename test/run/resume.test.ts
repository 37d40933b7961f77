import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRunRecord } from '../../src/run/index.js';
import { agentGroups, CliRun } from './cli-run.js';
import { alive, byPackage, defaults, groupGone, groupMembers, runningPeriods, useRunWorld, waitFor } from './helpers.js';

/** long and after-quick hold at the release file, so the supervisor always stops with them running. */
const plan = (release: string) => `
plan: resumable
defaults: ${defaults({ max_agents: '3' })}
packages:
  - id: quick
    description: done before the supervisor goes
    script: { duration: 200ms, writes: { quick.txt: "q\\n" } }
  - id: long
    description: still running when it goes
    script: { behaviour: slow, duration: 200ms, wait_for: "${release}", writes: { long.txt: "l\\n" } }
  - id: after-quick
    description: starts once quick is merged, still running when it goes
    depends_on: [quick]
    script: { behaviour: slow, duration: 200ms, wait_for: "${release}", writes: { after-quick.txt: "a\\n" } }
  - id: last
    description: needs everything
    depends_on: [long, after-quick]
    script: { duration: 200ms, writes: { last.txt: "z\\n" } }
`;
const IDS = ['quick', 'long', 'after-quick', 'last'];

describe('a supervisor that stops mid-run', () => {
  const w = useRunWorld();
  const release = () => `${w.home}/release`;

  /** Starts the CLI on the plan and waits until quick is done and two agents are running. */
  async function startMidRun(runId: string): Promise<{ cli: CliRun; groups: number[] }> {
    const file = await w.plan(plan(release()));
    const cli = new CliRun([file, '--bus', w.bus, '--repo', w.repo.root, '--run-id', runId], { cwd: w.repo.root, home: w.home });
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
      // Only the test's own timeout bounds these waits: a loaded machine is slow, not wrong.
      150_000,
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
    await waitFor('the agents to die', () => groups.every(groupGone), 150_000, 50);

    writeFileSync(release(), '');
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
  }, 300_000);

  it('Ctrl-C: stops its agents, leaves the run interrupted with the tasks ready, and --resume completes it', async () => {
    const { cli, groups } = await startMidRun('interrupted');
    cli.kill('SIGINT');
    const exit = await cli.exited;
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

    writeFileSync(release(), '');
    const r = await w.run('', { resume: 'interrupted', plan: undefined });
    expect(r.report.status).toBe('done');
    await checkFinishedOnce('interrupted');
    const after = await w.tasks('interrupted');
    for (const id of IDS) expect(after.get(id)!.attempt, id).toBe(1);
    expect((await loadRunRecord(store, w.scope, 'interrupted')).status).toBe('done');
  }, 300_000);

  it('Ctrl-C while a worktree is being set up: that agent is never started', async () => {
    const plan = await w.plan(`
plan: early-stop
defaults: ${defaults({ setup: `{ command: "while [ ! -e ${release()} ]; do sleep 0.05; done" }` })}
packages:
  - id: slowpoke
    description: would run for a long time
    script: { behaviour: slow, duration: 20s }
`);
    const ac = new AbortController();
    const running = w.run(plan, { runId: 'early-stop', signal: ac.signal });
    await waitFor('the task to be claimed', async () => (await w.tasks('early-stop')).get('slowpoke')?.state === 'leased', 150_000, 20);
    ac.abort();
    // The setup command finishes only now, after the stop: the agent must not start anyway.
    writeFileSync(release(), '');
    const r = await running;
    expect(r.report.status).toBe('interrupted');
    expect((await w.tasks('early-stop')).get('slowpoke')).toMatchObject({ state: 'ready', attempt: 1 });
    expect(byPackage('early-stop', await w.events('early-stop'), 'task.running').size).toBe(0);
  }, 300_000);
});

describe('a resumed run and the attempts its dead supervisor left', () => {
  const w = useRunWorld();

  it('kills an attempt that outlived its supervisor and its guard before the task runs again', async () => {
    const marker = `${w.home}/first-attempt.pid`;
    const ledger = `${w.home}/ledger`;
    // The first attempt records its pid and runs forever, deaf to SIGTERM; any later one checks
    // whether the first is still alive, says so in the ledger, and finishes.
    const run =
      `if [ -e "${marker}" ]; then p=$(cat "${marker}"); s=$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null); ` +
      `if [ -n "$s" ] && [ "$s" != Z ]; then echo overlap >> "${ledger}"; fi; echo second >> "${ledger}"; echo done > out.txt; exit 0; fi; ` +
      `echo $$ > "${marker}"; trap '' TERM; while :; do sleep 1; done`;
    const plan = await w.plan(`
plan: orphaned
defaults: ${defaults({ harness: 'shell' })}
packages:
  - id: stubborn
    description: outlives everything
    timeout: 1h
    idle_timeout: 1h
    run: ${JSON.stringify(run)}
`);
    const cli = new CliRun([plan, '--bus', w.bus, '--repo', w.repo.root, '--run-id', 'orphaned'], { cwd: w.repo.root, home: w.home });
    const store = await w.store();
    const task = await waitFor('the first attempt running with its process recorded', async () => {
      if (!cli.running) throw new Error(`the supervisor exited early:\n${cli.stdout}\n${cli.stderr}`);
      const t = await store.getTask('orphaned:stubborn');
      // The file exists before the shell's echo has written the pid into it.
      return t?.process && existsSync(marker) && /^\d+\s*$/.test(readFileSync(marker, 'utf8')) ? t : null;
    }, 150_000, 50);
    const agentPid = Number(readFileSync(marker, 'utf8'));
    // The guard is stopped before the supervisor dies, so it cannot take the agent down with it.
    const guards = groupMembers(task.process!.pgid).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('daedalus-guard'));
    expect(guards.length).toBeGreaterThan(0);
    for (const pid of guards) process.kill(pid, 'SIGSTOP');
    cli.kill('SIGKILL');
    await cli.exited;
    for (const pid of guards) process.kill(pid, 'SIGKILL');
    expect(alive(agentPid)).toBe(true);

    const r = await w.run('', { resume: 'orphaned', plan: undefined });
    expect(r.report.status, JSON.stringify(r.report.tasks, null, 2)).toBe('done');
    expect(readFileSync(ledger, 'utf8').trim().split('\n')).toEqual(['second']);
    expect(alive(agentPid)).toBe(false);
  }, 300_000);
});
