import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunRecord } from '../../src/run/index.js';
import { rawExec } from '../helpers/bus-harness.js';
import { agentGroups, CliRun } from './cli-run.js';
import { byPackage, defaults, groupGone, runningPeriods, useRunWorld, waitFor } from './helpers.js';

describe('taking over a run', () => {
  const w = useRunWorld();

  it('two `run --resume` started at once after a SIGKILL: exactly one supervises, the other exits 5', async () => {
    const plan = await w.plan(`
plan: takeover
defaults: ${defaults({ max_agents: '2' })}
packages:
  - id: long
    description: still running when the supervisor is killed
    script: { behaviour: slow, duration: 10s, writes: { long.txt: "l\\n" } }
  - id: after
    description: needs long
    depends_on: [long]
    script: { duration: 200ms, writes: { after.txt: "a\\n" } }
`);
    const first = new CliRun([plan, '--bus', w.bus, '--repo', w.repo.root, '--run-id', 'takeover'], { cwd: w.repo.root, home: w.home });
    const store = await w.store();
    const groups = await waitFor('long to be running', async () => {
      if (!first.running) throw new Error(`the supervisor exited early:\n${first.stdout}\n${first.stderr}`);
      if ((await w.tasks('takeover')).get('long')?.state !== 'running') return null;
      const g = await agentGroups(store, w.scope, 'takeover');
      return g.length === 1 ? g : null;
    }, 90_000);
    first.kill('SIGKILL');
    await first.exited;
    await waitFor('the agent to die with its supervisor', () => groups.every(groupGone), 10_000, 50);

    const args = ['--resume', 'takeover', '--bus', w.bus, '--repo', w.repo.root];
    const both = [new CliRun(args, { cwd: w.repo.root, home: w.home }), new CliRun(args, { cwd: w.repo.root, home: w.home })];
    const exits = await Promise.all(both.map((c) => c.exited));
    const codes = exits.map((e) => e.code);
    expect([...codes].sort(), both.map((c) => c.stderr).join('\n---\n')).toEqual([0, 5]);
    const loser = both[codes.indexOf(5)]!;
    expect(loser.stderr).toMatch(/run takeover is still supervised \(pid \d+ on [^)]+\)/);
    expect(loser.stdout).not.toMatch(/started/);

    // The winner did every task once, and no attempt overlapped another.
    const events = await w.events('takeover');
    const done = byPackage('takeover', events, 'task.done');
    expect(done.get('long')).toHaveLength(1);
    expect(done.get('after')).toHaveLength(1);
    runningPeriods('takeover', events);
    const claims = events.filter((e) => e.type === 'run.claimed');
    expect(claims.map((e) => (e.data as { epoch: number }).epoch)).toEqual([1, 2]);
    const record = await loadRunRecord(store, w.scope, 'takeover');
    expect(record).toMatchObject({ status: 'done' });
    expect(record.supervisors).toHaveLength(2);
  }, 240_000);

  it('a supervisor whose claim was taken over stops its agents and says so, leaving the tasks to the new one', async () => {
    const plan = await w.plan(`
plan: superseded
defaults: ${defaults()}
packages:
  - id: slow
    description: runs long enough to be taken over
    script: { behaviour: slow, duration: 60s }
`);
    const running = w.run(plan, { runId: 'superseded' });
    const store = await w.store();
    await waitFor('the agent to run', async () => (await w.tasks('superseded')).get('slow')?.state === 'running', 90_000, 50);
    const run = (await store.getRun(w.scope, 'superseded'))!;
    const intruder = await store.registerInstance({ scope: w.scope, role: 'supervisor', pid: process.pid, host: 'elsewhere' });
    await store.claimRun(w.scope, 'superseded', intruder.id, 60_000, { takeOverEpoch: run.epoch });
    await expect(running).rejects.toThrow(/^run superseded was taken over by another supervisor; this one stopped$/);
    // Given back on the same attempt, for whoever supervises the run now.
    expect((await w.tasks('superseded')).get('slow')).toMatchObject({ state: 'ready', attempt: 1 });
    expect((await store.getRun(w.scope, 'superseded'))!.supervisor).toBe(intruder.id);
  }, 180_000);

  it('a run record rewritten behind Daedalus’s back is refused by `run --resume`, which then executes nothing', async () => {
    const marker = join(w.dir, 'pwned');
    const plan = await w.plan(`
plan: tamper
defaults: ${defaults({ harness: 'shell', permissions: '[Read]' })}
packages:
  - id: safe
    description: writes a file
    run: "echo safe > safe.txt"
`);
    const r = await w.run(plan, { runId: 'tamper' });
    expect(r.report.status).toBe('done');
    const store = await w.store();
    const before = await store.lastEventId(w.scope);

    // What an agent with the bus's address could do: change the command a resume would run.
    await rawExec(w.bus, `UPDATE runs SET plan = replace(plan, 'echo safe > safe.txt', 'touch ${marker}') WHERE id = 'tamper'`);
    expect(JSON.stringify((await loadRunRecord(store, w.scope, 'tamper')).plan)).toContain(marker);
    const cli = new CliRun(['--resume', 'tamper', '--bus', w.bus, '--repo', w.repo.root], { cwd: w.repo.root, home: w.home });
    const exit = await cli.exited;
    expect(exit.code, cli.stderr).toBe(5);
    expect(cli.stderr).toMatch(/the record of run tamper on the bus was changed after the run was created: its plan, permissions or repository no longer match the digest recorded with it/);
    expect(cli.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(marker)).toBe(false);
    // Refused before it registered, claimed or touched a task.
    expect(await store.readEvents(w.scope, { after: before })).toEqual([]);
  });

  it('widened permissions, another repository or a missing key are refused the same way', async () => {
    const plan = await w.plan(`
plan: tamper
defaults: ${defaults({ harness: 'shell', permissions: '[Read]' })}
packages:
  - id: safe
    description: writes a file
    run: "echo safe > safe.txt"
`);
    await w.run(plan, { runId: 'tamper' });
    // Untouched, it resumes (there is nothing left to do).
    expect((await w.run('', { resume: 'tamper', plan: undefined })).report.status).toBe('done');

    const changed = /the record of run tamper on the bus was changed after the run was created/;
    await rawExec(w.bus, `UPDATE runs SET policies = replace(policies, '"allow":["Read"]', '"allow":["Bash","Read"]') WHERE id = 'tamper'`);
    await expect(w.run('', { resume: 'tamper', plan: undefined })).rejects.toThrow(changed);
    await rawExec(w.bus, `UPDATE runs SET policies = replace(policies, '"allow":["Bash","Read"]', '"allow":["Read"]') WHERE id = 'tamper'`);
    expect((await w.run('', { resume: 'tamper', plan: undefined })).report.status).toBe('done');

    await rawExec(w.bus, `UPDATE runs SET repo = '/somewhere/else' WHERE id = 'tamper'`);
    await expect(w.run('', { resume: 'tamper', plan: undefined })).rejects.toThrow(changed);
    await rawExec(w.bus, `UPDATE runs SET repo = '${w.repo.root}' WHERE id = 'tamper'`);

    await expect(w.run('', { resume: 'tamper', plan: undefined, home: join(w.dir, 'another-home') })).rejects.toThrow(
      /cannot check the record of run tamper: the key it was recorded with \(.*another-home\/run-key\) is missing/,
    );
  });
});
